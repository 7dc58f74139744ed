// A map from block ranges to where their newest contents are, kept as sorted
// disjoint extents; a later insert replaces whatever it overlaps.

export interface Extent<T> {
  start: number;
  end: number;
  src: T;
}

export class ExtentMap<T> {
  readonly #ext: Extent<T>[] = [];

  get size(): number {
    return this.#ext.length;
  }

  /** Index of the first extent ending after `block`. */
  #first(block: number): number {
    let lo = 0;
    let hi = this.#ext.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ext[mid]!.end <= block) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(start: number, end: number, src: T): void {
    const i = this.#first(start);
    let j = i;
    const pieces: Extent<T>[] = [];
    while (j < this.#ext.length && this.#ext[j]!.start < end) {
      const e = this.#ext[j]!;
      if (e.start < start) pieces.push({ start: e.start, end: start, src: e.src });
      if (e.end > end) pieces.push({ start: end, end: e.end, src: e.src });
      j++;
    }
    const left = pieces.filter((p) => p.end <= start);
    const right = pieces.filter((p) => p.start >= end);
    this.#ext.splice(i, j - i, ...left, { start, end, src }, ...right);
  }

  /** The extents overlapping [start, end), clipped to it, and the holes between them (src undefined). */
  cover(start: number, end: number): { start: number; end: number; src: T | undefined }[] {
    const out: { start: number; end: number; src: T | undefined }[] = [];
    let at = start;
    for (let i = this.#first(start); i < this.#ext.length && this.#ext[i]!.start < end; i++) {
      const e = this.#ext[i]!;
      if (e.start > at) out.push({ start: at, end: e.start, src: undefined });
      const s = Math.max(at, e.start);
      const t = Math.min(end, e.end);
      out.push({ start: s, end: t, src: e.src });
      at = t;
    }
    if (at < end) out.push({ start: at, end, src: undefined });
    return out;
  }
}
