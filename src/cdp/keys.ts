// The key scheme of CDP volumes in an object store. Numbers are fixed-width
// lower-case hex so listing order is sequence order; a key alone tells what
// an object holds (journal keys carry their time range too, so that the
// history of a volume is one LIST, without reading any journal).
//
//   <prefix>/cdp/<VOLUME>/jnl/<%016x first seq>-<%016x last seq>-<%014x first µs>-<%014x last µs>.jnl
//   <prefix>/cdp/<VOLUME>/base/<%016x seq>/<%08x chunk>.img
//   <prefix>/cdp/<VOLUME>/base/<%016x seq>/index.json
//   <prefix>/cdp/<VOLUME>/mark/<%016x seq>-<NAME>.json
//   <prefix>/cdp/<VOLUME>/meta/<%016x version>.json

const hex = (n: number, width: number): string => {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative integer: ${n}`);
  return n.toString(16).padStart(width, '0');
};

/** Volume and bookmark names: one key segment. */
export const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export function cdpRoot(prefix: string): string {
  return prefix === '' ? 'cdp/' : `${prefix.replace(/\/+$/, '')}/cdp/`;
}

export interface JournalKeyFacts {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstUs: number;
  readonly lastUs: number;
}

const JNL = /\/jnl\/([0-9a-f]{16})-([0-9a-f]{16})-([0-9a-f]{14})-([0-9a-f]{14})\.jnl$/;
const BASE_INDEX = /\/base\/([0-9a-f]{16})\/index\.json$/;
const BASE_CHUNK = /\/base\/([0-9a-f]{16})\/([0-9a-f]{8})\.img$/;
const MARK = /\/mark\/([0-9a-f]{16})-([A-Za-z0-9._-]+)\.json$/;

export class CdpKeys {
  readonly volume: string;
  readonly root: string;

  constructor(prefix: string, volume: string) {
    this.volume = volume;
    this.root = `${cdpRoot(prefix)}${volume}/`;
  }

  get journalPrefix(): string {
    return `${this.root}jnl/`;
  }
  get basePrefix(): string {
    return `${this.root}base/`;
  }
  get markPrefix(): string {
    return `${this.root}mark/`;
  }
  get metaPrefix(): string {
    return `${this.root}meta/`;
  }

  journal(f: JournalKeyFacts): string {
    return `${this.journalPrefix}${hex(f.firstSeq, 16)}-${hex(f.lastSeq, 16)}-${hex(f.firstUs, 14)}-${hex(f.lastUs, 14)}.jnl`;
  }
  baseDir(seq: number): string {
    return `${this.basePrefix}${hex(seq, 16)}/`;
  }
  baseChunk(seq: number, chunk: number): string {
    return `${this.baseDir(seq)}${hex(chunk, 8)}.img`;
  }
  baseIndex(seq: number): string {
    return `${this.baseDir(seq)}index.json`;
  }
  mark(seq: number, name: string): string {
    return `${this.markPrefix}${hex(seq, 16)}-${name}.json`;
  }
  meta(version: number): string {
    return `${this.metaPrefix}${hex(version, 16)}.json`;
  }
}

export function parseJournalKey(key: string): JournalKeyFacts | undefined {
  const m = JNL.exec(key);
  if (m === null) return undefined;
  return { firstSeq: parseInt(m[1]!, 16), lastSeq: parseInt(m[2]!, 16), firstUs: parseInt(m[3]!, 16), lastUs: parseInt(m[4]!, 16) };
}

export function parseBaseIndexKey(key: string): number | undefined {
  const m = BASE_INDEX.exec(key);
  return m === null ? undefined : parseInt(m[1]!, 16);
}

export function parseBaseChunkKey(key: string): { seq: number; chunk: number } | undefined {
  const m = BASE_CHUNK.exec(key);
  return m === null ? undefined : { seq: parseInt(m[1]!, 16), chunk: parseInt(m[2]!, 16) };
}

export function parseMarkKey(key: string): { seq: number; name: string } | undefined {
  const m = MARK.exec(key);
  return m === null ? undefined : { seq: parseInt(m[1]!, 16), name: m[2]! };
}
