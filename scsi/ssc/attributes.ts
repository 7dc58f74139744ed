// Medium auxiliary memory: READ ATTRIBUTE, WRITE ATTRIBUTE (SPC-4 6.17,
// 6.40, attribute list 7.4) and READ MEDIA SERIAL NUMBER (SPC-4 6.19).
// Device and medium attributes (0000h..07FFh) are computed by the drive from
// the cartridge and are read-only; host attributes (0800h..0BFFh known ones,
// 1000h..17FFh vendor-specific) are stored with the cartridge through
// SequentialMedium.writeAttribute (an empty value deletes).
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import { FieldReader } from '../cdb.ts';
import { ScsiError, Sense, invalidCdbField, invalidParameterField } from '../sense.ts';
import { asciiField } from '../spc/vpd.ts';
import type { Loaded, TapeDrive } from './tape-drive.ts';

const MIB = 1024 * 1024;
/** MAM capacity we claim (LTO-5 and later cartridges carry 16 KiB). */
const MAM_CAPACITY = 16384;

/** FORMAT field of an attribute header. */
const Format = { BINARY: 0, ASCII: 1, TEXT: 2 } as const;
type Format = (typeof Format)[keyof typeof Format];

interface HostAttribute {
  readonly length: number;
  readonly format: Format;
  /** Variable length up to `length` (VOLUME COHERENCY INFORMATION). */
  readonly variable?: boolean;
}

/** Standard host type attributes (SPC-4 7.4.2.4). */
const HOST_ATTRIBUTES: ReadonlyMap<number, HostAttribute> = new Map([
  [0x0800, { length: 8, format: Format.ASCII }], // APPLICATION VENDOR
  [0x0801, { length: 32, format: Format.ASCII }], // APPLICATION NAME
  [0x0802, { length: 8, format: Format.ASCII }], // APPLICATION VERSION
  [0x0803, { length: 160, format: Format.TEXT }], // USER MEDIUM TEXT LABEL
  [0x0804, { length: 12, format: Format.ASCII }], // DATE AND TIME LAST WRITTEN
  [0x0805, { length: 1, format: Format.BINARY }], // TEXT LOCALIZATION IDENTIFIER
  [0x0806, { length: 32, format: Format.ASCII }], // BARCODE
  [0x0807, { length: 80, format: Format.TEXT }], // OWNING HOST TEXTUAL NAME
  [0x0808, { length: 160, format: Format.TEXT }], // MEDIA POOL
  [0x0809, { length: 16, format: Format.ASCII }], // PARTITION USER TEXT LABEL
  [0x080a, { length: 1, format: Format.BINARY }], // LOAD/UNLOAD AT PARTITION
  [0x080b, { length: 16, format: Format.ASCII }], // APPLICATION FORMAT VERSION
  [0x080c, { length: 1024, format: Format.BINARY, variable: true }], // VOLUME COHERENCY INFORMATION
  [0x0820, { length: 36, format: Format.BINARY }], // MEDIUM GLOBALLY UNIQUE IDENTIFIER
  [0x0821, { length: 36, format: Format.BINARY }], // MEDIA POOL GLOBALLY UNIQUE IDENTIFIER
]);

const isVendorHost = (id: number): boolean => id >= 0x1000 && id <= 0x17ff;
const isReadOnlyRange = (id: number): boolean => id < 0x0800;

interface Attribute {
  readonly id: number;
  readonly readOnly: boolean;
  readonly format: Format;
  readonly value: Buffer;
}

const u64 = (n: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(n))));
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** Device and medium attributes the drive computes (SPC-4 7.4.2.2, 7.4.2.3). */
function computed(d: TapeDrive, l: Loaded): Attribute[] {
  const a = l.medium.attributes;
  const { capacity } = d.limits(l);
  const alerts = [...d.tapeAlerts].reduce((acc, f) => acc | (1n << BigInt(64 - f)), 0n);
  const alertBuf = Buffer.alloc(8);
  alertBuf.writeBigUInt64BE(alerts);
  const ro = (id: number, format: Format, value: Buffer): Attribute => ({ id, readOnly: true, format, value });
  return [
    ro(0x0000, Format.BINARY, u64((capacity - l.medium.usedBytes()) / MIB)), // REMAINING CAPACITY IN PARTITION (MiB)
    ro(0x0001, Format.BINARY, u64(capacity / MIB)), // MAXIMUM CAPACITY IN PARTITION (MiB)
    ro(0x0002, Format.BINARY, alertBuf), // TAPEALERT FLAGS
    ro(0x0004, Format.BINARY, u64(MAM_CAPACITY - storedBytes(l))), // MAM SPACE REMAINING
    ro(0x0005, Format.ASCII, asciiField('LTO-CVE', 8)), // ASSIGNING ORGANIZATION
    ro(0x0006, Format.BINARY, Buffer.from([l.support.density])), // FORMATTED DENSITY CODE
    ro(0x0222, Format.BINARY, u64(d.counters.loadBytesWritten / 1e6)), // TOTAL MBYTES WRITTEN IN CURRENT LOAD
    ro(0x0223, Format.BINARY, u64(d.counters.loadBytesRead / 1e6)), // TOTAL MBYTES READ IN CURRENT LOAD
    ro(0x0400, Format.ASCII, asciiField('S3VTL', 8)), // MEDIUM MANUFACTURER
    ro(0x0401, Format.ASCII, asciiField(a.barcode, 32)), // MEDIUM SERIAL NUMBER
    ro(0x0403, Format.BINARY, u32(127)), // MEDIUM WIDTH (tenths of mm)
    ro(0x0404, Format.ASCII, asciiField('LTO-CVE', 8)), // ASSIGNING ORGANIZATION
    ro(0x0405, Format.BINARY, Buffer.from([l.support.density])), // MEDIUM DENSITY CODE
    ro(0x0407, Format.BINARY, u64(MAM_CAPACITY)), // MAM CAPACITY
    ro(0x0408, Format.BINARY, Buffer.from([a.worm ? 0x80 : 0x00])), // MEDIUM TYPE: 00h data, 80h WORM
    ro(0x0409, Format.BINARY, Buffer.alloc(2)), // MEDIUM TYPE INFORMATION
  ];
}

function storedBytes(l: Loaded): number {
  return l.medium.listAttributes().reduce((n, id) => n + 5 + (l.medium.readAttribute(id)?.length ?? 0), 0);
}

/** Every attribute present on the cartridge, ascending by identifier. */
function present(d: TapeDrive, l: Loaded): Attribute[] {
  const byId = new Map<number, Attribute>();
  for (const a of computed(d, l)) byId.set(a.id, a);
  for (const id of l.medium.listAttributes()) {
    const value = l.medium.readAttribute(id);
    if (value === undefined || value.length === 0 || byId.has(id)) continue;
    const format = HOST_ATTRIBUTES.get(id)?.format ?? Format.BINARY;
    byId.set(id, { id, readOnly: isReadOnlyRange(id), format, value });
  }
  // BARCODE (0806h): the library's label when the application has not written one.
  if (!byId.has(0x0806)) byId.set(0x0806, { id: 0x0806, readOnly: false, format: Format.ASCII, value: asciiField(l.medium.attributes.barcode, 32) });
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

const supportedIds = (d: TapeDrive, l: Loaded): number[] =>
  [...new Set([...computed(d, l).map((a) => a.id), ...HOST_ATTRIBUTES.keys()])].sort((a, b) => a - b);

function encodeAttribute(a: Attribute): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt16BE(a.id, 0);
  head[2] = (a.readOnly ? 0x80 : 0) | a.format;
  head.writeUInt16BE(a.value.length, 3);
  return Buffer.concat([head, a.value]);
}

function withAvailableLength(body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** READ ATTRIBUTE service actions (SPC-4 6.17 table). */
const ReadAttributeAction = { VALUES: 0x00, LIST: 0x01, VOLUME_LIST: 0x02, PARTITION_LIST: 0x03, SUPPORTED: 0x05 } as const;

/**
 * READ ATTRIBUTE
 *   byte 1  bits 4-0  SERVICE ACTION
 *   byte 5            LOGICAL VOLUME NUMBER (0)
 *   byte 7            PARTITION NUMBER (0)
 *   byte 8-9          FIRST ATTRIBUTE IDENTIFIER
 *   byte 10-13        ALLOCATION LENGTH
 *   byte 14  bit 0    CACHE
 * ATTRIBUTE VALUES starts at FIRST ATTRIBUTE IDENTIFIER, which must be present
 * (as IBM LTO drives do: LTFS reads single attributes this way and takes
 * INVALID FIELD IN CDB as "not there").
 */
export function readAttribute(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const action = cdb.bits(1, 0, 5);
  if (cdb.u8(5) !== 0) throw invalidCdbField(5);
  if (cdb.u8(7) !== 0) throw invalidCdbField(7);
  const first = cdb.u16(8);
  const alloc = cdb.u32(10);
  const l = d.ready();
  let out: Buffer;
  switch (action) {
    case ReadAttributeAction.VALUES: {
      const all = present(d, l);
      if (!all.some((a) => a.id === first)) throw invalidCdbField(8);
      out = withAvailableLength(Buffer.concat(all.filter((a) => a.id >= first).map(encodeAttribute)));
      break;
    }
    case ReadAttributeAction.LIST:
    case ReadAttributeAction.SUPPORTED: {
      const ids = action === ReadAttributeAction.LIST ? present(d, l).map((a) => a.id) : supportedIds(d, l);
      const body = Buffer.alloc(ids.length * 2);
      ids.filter((id) => id >= first).forEach((id, i) => body.writeUInt16BE(id, i * 2));
      out = withAvailableLength(body.subarray(0, ids.filter((id) => id >= first).length * 2));
      break;
    }
    case ReadAttributeAction.VOLUME_LIST:
    case ReadAttributeAction.PARTITION_LIST:
      // AVAILABLE DATA (2), FIRST (1), NUMBER AVAILABLE (1): one volume, one partition.
      out = Buffer.from([0x00, 0x02, 0x00, 0x01]);
      break;
    default:
      throw invalidCdbField(1, 4);
  }
  return out.subarray(0, alloc);
}

/**
 * WRITE ATTRIBUTE
 *   byte 1  bit 0  WTC
 *   byte 5         LOGICAL VOLUME NUMBER (0)
 *   byte 7         PARTITION NUMBER (0)
 *   byte 10-13     PARAMETER LIST LENGTH
 * Parameter list: 0-3 PARAMETER DATA LENGTH, then attributes (id u16, FORMAT,
 * length u16, value). Every attribute is checked before any is written: a
 * read-only or unknown attribute, a wrong format or length is INVALID FIELD
 * IN PARAMETER LIST and nothing changes.
 */
export async function writeAttribute(d: TapeDrive, cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  if (cdb.u8(5) !== 0) throw invalidCdbField(5);
  if (cdb.u8(7) !== 0) throw invalidCdbField(7);
  const listLength = cdb.u32(10);
  const l = d.ready();
  if (listLength === 0) return;
  const data = cmd.dataOut ?? Buffer.alloc(0);
  if (listLength < 4 || data.length < listLength) throw new ScsiError(Sense.parameterListLengthError);
  const p = new FieldReader(data.subarray(0, listLength));
  const end = 4 + p.u32(0);
  if (end > listLength) throw new ScsiError(Sense.parameterListLengthError);
  if (l.medium.attributes.writeProtected) throw new ScsiError(Sense.writeProtected);

  const writes: Array<{ id: number; value: Buffer }> = [];
  for (let at = 4; at < end; ) {
    if (at + 5 > end) throw new ScsiError(Sense.parameterListLengthError);
    const id = p.u16(at);
    const format = p.bits(at + 2, 0, 2);
    const length = p.u16(at + 3);
    if (at + 5 + length > end) throw new ScsiError(Sense.parameterListLengthError);
    const known = HOST_ATTRIBUTES.get(id);
    if (known === undefined && !isVendorHost(id)) throw invalidParameterField(at);
    if (known !== undefined) {
      if (format !== known.format) throw invalidParameterField(at + 2, 1);
      if (length !== 0 && (known.variable === true ? length > known.length : length !== known.length)) throw invalidParameterField(at + 3);
    }
    writes.push({ id, value: Buffer.from(p.buf.subarray(at + 5, at + 5 + length)) });
    at += 5 + length;
  }
  for (const w of writes) await l.medium.writeAttribute(w.id, w.value);
}

/**
 * READ MEDIA SERIAL NUMBER (SERVICE ACTION IN(12) 01h)
 *   byte 6-9  ALLOCATION LENGTH
 * Reply: 0-3 MEDIA SERIAL NUMBER LENGTH, then the serial (the barcode), space
 * padded to a multiple of four.
 */
export function readMediaSerialNumber(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Buffer {
  const l = d.ready();
  const raw = Buffer.from(l.medium.attributes.barcode, 'ascii');
  const serial = asciiField(l.medium.attributes.barcode, (raw.length + 3) & ~3);
  return withAvailableLength(serial).subarray(0, cdb.u32(6));
}
