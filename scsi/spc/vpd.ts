// The VPD page registry of one logical unit (SPC-4 7.8). A page is a builder
// returning its body (everything after the 4-byte header); the registry adds
// the header and generates page 00h (SUPPORTED VPD PAGES) from itself.
import type { ScsiCommand } from '../command.ts';

export interface VpdPageDefinition {
  readonly page: number;
  readonly name: string;
  /** The page body, after the 4-byte header (the length is filled in). */
  readonly build: (cmd: ScsiCommand) => Buffer;
}

export class VpdPages {
  readonly #pages = new Map<number, VpdPageDefinition>();
  readonly #peripheral: () => number;

  /** @param peripheral byte 0 of every page: PERIPHERAL QUALIFIER and DEVICE TYPE. */
  constructor(peripheral: () => number) {
    this.#peripheral = peripheral;
  }

  add(def: VpdPageDefinition): void {
    this.#pages.set(def.page, def);
  }

  has(page: number): boolean {
    return page === 0 || this.#pages.has(page);
  }

  /** Page codes in ascending order, 00h first (SPC-4 7.8.16: "in ascending order"). */
  codes(): number[] {
    return [0, ...[...this.#pages.keys()].filter((p) => p !== 0).sort((a, b) => a - b)];
  }

  /** The full page, header included, or undefined when the page is not supported. */
  page(page: number, cmd: ScsiCommand): Buffer | undefined {
    const body = page === 0 ? Buffer.from(this.codes()) : this.#pages.get(page)?.build(cmd);
    if (body === undefined) return undefined;
    const head = Buffer.from([this.#peripheral(), page, body.length >> 8, body.length & 0xff]);
    return Buffer.concat([head, body]);
  }
}

/** A designation descriptor (SPC-4 7.8.6.1). */
export function designator(opts: {
  codeSet: 1 | 2 | 3; // binary, ASCII, UTF-8
  association: 0 | 1 | 2; // logical unit, target port, target device
  type: number;
  /** PROTOCOL IDENTIFIER, 5 = iSCSI; sets PIV. */
  protocol?: number;
  value: Buffer;
}): Buffer {
  const piv = opts.protocol !== undefined && opts.association !== 0;
  const head = Buffer.from([
    ((opts.protocol ?? 0) << 4) | opts.codeSet,
    (piv ? 0x80 : 0) | (opts.association << 4) | opts.type,
    0,
    opts.value.length,
  ]);
  return Buffer.concat([head, opts.value]);
}

/** A SCSI name string value: UTF-8, null-terminated, padded to a multiple of 4 (SPC-4 7.8.6.11). */
export function scsiNameString(name: string): Buffer {
  const raw = Buffer.from(name, 'utf8');
  const len = (raw.length + 1 + 3) & ~3;
  const out = Buffer.alloc(len);
  raw.copy(out);
  return out;
}

/** An ASCII field left-aligned and padded with spaces (INQUIRY identification fields). */
export function asciiField(value: string, length: number): Buffer {
  const out = Buffer.alloc(length, 0x20);
  out.write(value.slice(0, length), 'ascii');
  return out;
}
