// Mode and VPD pages every logical unit has, built from its identity.
import { createHash } from 'node:crypto';
import type { ScsiCommand } from '../command.ts';
import type { ModePageDefinition } from './mode-pages.ts';
import { page0, subPage } from './mode-pages.ts';
import { asciiField, designator, scsiNameString, type VpdPageDefinition } from './vpd.ts';

/** The identity of a logical unit: what INQUIRY and VPD 80h/83h report. Personalities are data. */
export interface Identity {
  /** T10 VENDOR IDENTIFICATION, up to 8 ASCII characters. */
  readonly vendor: string;
  /** PRODUCT IDENTIFICATION, up to 16. */
  readonly product: string;
  /** PRODUCT REVISION LEVEL, up to 4. */
  readonly revision: string;
  /** PRODUCT SERIAL NUMBER (VPD 80h), unique per LU. */
  readonly serial: string;
  /** VERSION DESCRIPTORs of standard INQUIRY (SPC-4 table "Version descriptor values"), up to 8. */
  readonly versionDescriptors: readonly number[];
  /**
   * IEEE COMPANY_ID (24-bit OUI): when given, VPD 83h carries an NAA 6 IEEE
   * Registered Extended designator; otherwise an NAA 3 Locally Assigned one.
   * Both derive their vendor-specific bits from vendor, product and serial.
   */
  readonly ieeeCompanyId?: number;
  /** RMB: the medium is removable (tape drives). */
  readonly removable?: boolean;
}

/** The NAA designator value (8 or 16 bytes), stable for a given identity. */
export function naaDesignator(id: Identity): Buffer {
  const h = createHash('sha256').update(`${id.vendor}\0${id.product}\0${id.serial}`).digest();
  if (id.ieeeCompanyId === undefined) {
    const v = Buffer.from(h.subarray(0, 8));
    v[0] = 0x30 | ((v[0] ?? 0) & 0x0f); // NAA 3h: locally assigned
    return v;
  }
  const v = Buffer.alloc(16);
  const oui = id.ieeeCompanyId & 0xffffff;
  v[0] = 0x60 | (oui >> 20); // NAA 6h | IEEE COMPANY_ID
  v[1] = (oui >> 12) & 0xff;
  v[2] = (oui >> 4) & 0xff;
  v[3] = ((oui & 0x0f) << 4) | ((h[0] ?? 0) & 0x0f);
  h.copy(v, 4, 1, 13);
  return v;
}

/** VPD 80h UNIT SERIAL NUMBER. */
export const unitSerialNumberPage = (id: Identity): VpdPageDefinition => ({
  page: 0x80,
  name: 'Unit Serial Number',
  build: () => Buffer.from(id.serial, 'ascii'),
});

/**
 * VPD 83h DEVICE IDENTIFICATION: NAA and T10 vendor ID for the logical unit;
 * relative target port, target port group and SCSI name string for the port
 * the command came through; SCSI name string of the target device.
 */
export const deviceIdentificationPage = (id: Identity): VpdPageDefinition => ({
  page: 0x83,
  name: 'Device Identification',
  build: (cmd: ScsiCommand) => {
    const rel = Buffer.alloc(4);
    rel.writeUInt16BE(cmd.nexus.relativeTargetPortId & 0xffff, 2);
    const tpg = Buffer.alloc(4);
    tpg.writeUInt16BE(1, 2);
    const t10 = Buffer.concat([asciiField(id.vendor, 8), Buffer.from(`${id.product.trim()}:${id.serial}`, 'ascii')]);
    const targetName = cmd.nexus.targetPort.split(',')[0] ?? cmd.nexus.targetPort;
    return Buffer.concat([
      designator({ codeSet: 1, association: 0, type: 3, value: naaDesignator(id) }),
      designator({ codeSet: 2, association: 0, type: 1, value: t10 }),
      designator({ codeSet: 1, association: 1, type: 4, protocol: 5, value: rel }),
      designator({ codeSet: 1, association: 1, type: 5, protocol: 5, value: tpg }),
      designator({ codeSet: 3, association: 1, type: 8, protocol: 5, value: scsiNameString(cmd.nexus.targetPort) }),
      designator({ codeSet: 3, association: 2, type: 8, protocol: 5, value: scsiNameString(targetName) }),
    ]);
  },
});

/**
 * VPD 86h EXTENDED INQUIRY DATA (page length 3Ch). Byte 5 (of the page):
 * HEADSUP, ORDSUP, SIMPSUP: all three task attributes are honoured.
 * Byte 6 V_SUP: a volatile cache exists when `volatileCache`.
 */
export const extendedInquiryPage = (volatileCache: boolean): VpdPageDefinition => ({
  page: 0x86,
  name: 'Extended INQUIRY Data',
  build: () => {
    const b = Buffer.alloc(0x3c);
    b[1] = 0x07; // HEADSUP | ORDSUP | SIMPSUP
    b[2] = volatileCache ? 0x01 : 0x00; // V_SUP
    return b;
  },
});

/**
 * Control mode page 0Ah (SPC-4 7.5.8). Defaults: TST 000b (one task set),
 * QUEUE ALGORITHM MODIFIER 1 (unrestricted reordering) when `reorder`,
 * QERR 00b, D_SENSE 0. Changeable: D_SENSE, and SWP when the device honours it.
 *   byte 4: VS(7) RAC(6) UA_INTLCK_CTRL(5-4) SWP(3)
 *   byte 2: TST(7-5) TMF_ONLY(4) DPICZ(3) D_SENSE(2) GLTSD(1) RLEC(0)
 *   byte 3: QUEUE ALGORITHM MODIFIER(7-4) NUAR(3) QERR(2-1)
 *   byte 5: ATO(7) TAS(6) ATMPE(5) RWWP(4) AUTOLOAD MODE(2-0)
 */
export const controlPage = (reorder: boolean, swp: boolean): ModePageDefinition => ({
  name: 'Control',
  page: 0x0a,
  defaults: page0(0x0a, [0x00, reorder ? 0x10 : 0x00, 0, 0, 0, 0, 0xff, 0xff, 0, 0]),
  changeable: page0(0x0a, [0x04, 0, swp ? 0x08 : 0, 0, 0, 0, 0, 0, 0, 0]),
});

/** Control Extension mode subpage 0Ah/01h (SPC-4 7.5.9): nothing changeable. */
export const controlExtensionPage = (): ModePageDefinition => ({
  name: 'Control Extension',
  page: 0x0a,
  subpage: 0x01,
  defaults: subPage(0x0a, 0x01, new Array<number>(0x1c).fill(0)),
});

/**
 * Informational Exceptions Control mode page 1Ch (SPC-4 7.5.13): exceptions
 * are never raised; DEXCPT=1 by default, DEXCPT and MRIE changeable.
 */
export const informationalExceptionsPage = (): ModePageDefinition => ({
  name: 'Informational Exceptions Control',
  page: 0x1c,
  defaults: page0(0x1c, [0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  changeable: page0(0x1c, [0x08, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0]),
});

/** D_SENSE of a control page's current value. */
export const dSense = (control: Buffer | undefined): boolean => ((control?.[2] ?? 0) & 0x04) !== 0;
