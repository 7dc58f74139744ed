// VPD 83h for a tape drive: the SPC base page with its T10 vendor ID
// designator in the layout libraries report for their drives (VENDOR 8,
// PRODUCT 16, SERIAL), so that a changer's DVCID and the drive's own VPD
// carry the same bytes and mtx/Bacula/Amanda can pair them.
import type { ScsiCommand } from '../command.ts';
import type { Identity } from '../logical-unit.ts';
import { deviceIdentificationPage } from '../spc/standard-pages.ts';
import type { VpdPageDefinition } from '../spc/vpd.ts';

export function tapeDeviceIdentificationPage(identity: Identity, t10VendorId: () => Buffer): VpdPageDefinition {
  const base = deviceIdentificationPage(identity);
  return { page: 0x83, name: base.name, build: (cmd: ScsiCommand) => replaceT10VendorId(base.build(cmd), t10VendorId()) };
}

/** Swap the value of the T10 vendor ID designator (type 1, LU association) in a VPD 83h body. */
function replaceT10VendorId(body: Buffer, value: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at + 4 <= body.length; ) {
    const len = body[at + 3] ?? 0;
    const d = body.subarray(at, at + 4 + len);
    const type = (body[at + 1] ?? 0) & 0x0f;
    const assoc = ((body[at + 1] ?? 0) >> 4) & 3;
    if (type === 1 && assoc === 0) {
      const head = Buffer.from(d.subarray(0, 4));
      head[3] = value.length;
      parts.push(head, value);
    } else {
      parts.push(d);
    }
    at += 4 + len;
  }
  return Buffer.concat(parts);
}
