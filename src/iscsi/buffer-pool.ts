// Reused memory for large Data-Out transfers. A streaming WRITE of 256 KiB
// needs a fresh 256 KiB buffer per command; fresh memory from the allocator
// is page-faulted in as the data is copied, which costs several times the
// copy itself, and the garbage collector then frees it in bulk. A task
// takes its buffer here and gives it back once its command settled (the
// logical unit's execute() resolved: nothing refers to the Data-Out then,
// see ScsiCommand.dataOut).
//
// Buffers come in power-of-two classes from MIN_POOLED to MAX_POOLED; smaller
// and larger transfers are allocated as before. At most `maxFreeBytes` are
// kept idle; only buffers this pool handed out are taken back, once.

const MIN_POOLED = 64 * 1024;
const MAX_POOLED = 16 * 1024 * 1024;

/** Whether take(length) hands out pooled memory. */
export const pooledLength = (length: number): boolean => length >= MIN_POOLED && length <= MAX_POOLED;

export class BufferPool {
  readonly #maxFreeBytes: number;
  readonly #free = new Map<number, ArrayBuffer[]>();
  readonly #lent = new WeakSet<ArrayBuffer>();
  #freeBytes = 0;

  constructor(maxFreeBytes = 16 * 1024 * 1024) {
    this.#maxFreeBytes = maxFreeBytes;
  }

  /** Bytes held idle for reuse. */
  get freeBytes(): number {
    return this.#freeBytes;
  }

  /** A buffer of exactly `length` bytes, pooled when the length is in the pooled range. */
  take(length: number): Buffer {
    if (!pooledLength(length)) return Buffer.allocUnsafe(length);
    const size = sizeClass(length);
    const list = this.#free.get(size);
    let ab = list?.pop();
    if (ab !== undefined) this.#freeBytes -= size;
    else ab = new ArrayBuffer(size);
    this.#lent.add(ab);
    return Buffer.from(ab, 0, length);
  }

  /** Hand back a buffer take() returned (any view of it); anything else is ignored. */
  give(buf: Buffer | undefined): void {
    if (buf === undefined) return;
    const ab = buf.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.#lent.has(ab)) return;
    this.#lent.delete(ab);
    const size = ab.byteLength;
    if (this.#freeBytes + size > this.#maxFreeBytes) return;
    let list = this.#free.get(size);
    if (list === undefined) this.#free.set(size, (list = []));
    list.push(ab);
    this.#freeBytes += size;
  }
}

function sizeClass(length: number): number {
  let size = MIN_POOLED;
  while (size < length) size *= 2;
  return size;
}

/** The pool every connection's SCSI tasks share. */
export const dataOutPool = new BufferPool();
