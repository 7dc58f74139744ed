// The one key scheme for cartridges in an object store. Numbers are fixed-width
// lower-case hex so that listing order (byte order) is sequence order.
//
//   <prefix>/tapes/<BARCODE>/seg/<%016x first>-<%08x seq>.seg
//   <prefix>/tapes/<BARCODE>/manifest/<%016x version>.json
//
// `first` is the logical object id of the segment's first record (the
// manifest says how many follow; the key is fixed when the segment opens, so
// that it can be uploaded in parts while it is still being written, and
// cannot name the last). `seq` is the cartridge's segment sequence number: after an
// overwrite a new segment can cover the same object ids as an older one, and
// the older object must stay untouched until a manifest stops naming it, so
// the key carries a number that is never reused (DESIGN.md's starting point
// had no `seq`; it is needed for that reason).

const hex = (n: number, width: number): string => {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative integer: ${n}`);
  return n.toString(16).padStart(width, '0');
};

export class TapeKeys {
  readonly #root: string;

  /** `prefix` is the store-wide prefix ('' for none, else without a trailing '/'). */
  constructor(prefix: string) {
    this.#root = prefix === '' ? 'tapes/' : `${prefix.replace(/\/+$/, '')}/tapes/`;
  }

  /** Prefix of every cartridge: `<prefix>/tapes/`. */
  get tapesPrefix(): string {
    return this.#root;
  }

  cartridgePrefix(barcode: string): string {
    return `${this.#root}${barcode}/`;
  }

  segmentPrefix(barcode: string): string {
    return `${this.#root}${barcode}/seg/`;
  }

  manifestPrefix(barcode: string): string {
    return `${this.#root}${barcode}/manifest/`;
  }

  segment(barcode: string, first: number, seq: number): string {
    return `${this.segmentPrefix(barcode)}${hex(first, 16)}-${hex(seq, 8)}.seg`;
  }

  manifest(barcode: string, version: number): string {
    return `${this.manifestPrefix(barcode)}${hex(version, 16)}.json`;
  }

  /** A startAfter value that sorts after every key of the cartridge ('~' > [A-Za-z0-9._-]). */
  afterCartridge(barcode: string): string {
    return `${this.#root}${barcode}/~`;
  }

  /** The barcode of any key under tapes/, or undefined. */
  barcodeOf(key: string): string | undefined {
    if (!key.startsWith(this.#root)) return undefined;
    const rest = key.slice(this.#root.length);
    const slash = rest.indexOf('/');
    return slash > 0 ? rest.slice(0, slash) : undefined;
  }

  /**
   * `first` and `seq` of a key exactly as segment() writes it for `barcode`,
   * else undefined (another cartridge's key, a manifest, any other form).
   */
  parseSegmentKey(barcode: string, key: string): { first: number; seq: number } | undefined {
    const prefix = this.segmentPrefix(barcode);
    if (!key.startsWith(prefix)) return undefined;
    const m = /^([0-9a-f]{16})-([0-9a-f]{8})\.seg$/.exec(key.slice(prefix.length));
    if (m?.[1] === undefined || m[2] === undefined) return undefined;
    const first = Number.parseInt(m[1], 16);
    const seq = Number.parseInt(m[2], 16);
    // Beyond 2^53 the number does not print back to the same key.
    return Number.isSafeInteger(first) && this.segment(barcode, first, seq) === key ? { first, seq } : undefined;
  }

  /** The version of a manifest key, or undefined when the key is not one. */
  manifestVersionOf(key: string): number | undefined {
    const m = /\/manifest\/([0-9a-f]{16})\.json$/.exec(key);
    return m?.[1] === undefined ? undefined : Number.parseInt(m[1], 16);
  }
}
