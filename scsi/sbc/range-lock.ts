// LBA range locks, granted in request order. COMPARE AND WRITE holds its range
// exclusively so that the read, compare and write are atomic with respect to
// every other command on those blocks (SBC-3 5.2: "the device server shall
// ... perform ... as an uninterrupted series of actions"); writes are
// exclusive, reads shared.

interface Hold {
  readonly lba: bigint;
  readonly end: bigint;
  readonly exclusive: boolean;
  readonly done: Promise<void>;
}

const overlaps = (a: Hold, lba: bigint, end: bigint): boolean => a.lba < end && lba < a.end;

export class RangeLocks {
  readonly #holds = new Set<Hold>();

  /**
   * Wait for every earlier conflicting request, then hold [lba, lba+blocks).
   * Returns the release function. Zero-length ranges still order against overlaps at lba.
   */
  async acquire(lba: bigint, blocks: bigint, exclusive: boolean): Promise<() => void> {
    const end = lba + (blocks === 0n ? 1n : blocks);
    const before = [...this.#holds].filter((h) => overlaps(h, lba, end) && (exclusive || h.exclusive)).map((h) => h.done);
    let release!: () => void;
    const hold: Hold = { lba, end, exclusive, done: new Promise<void>((r) => (release = r)) };
    this.#holds.add(hold);
    await Promise.all(before);
    return () => {
      this.#holds.delete(hold);
      release();
    };
  }

  /** Run `fn` holding the range. */
  async with<T>(lba: bigint, blocks: bigint, exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(lba, blocks, exclusive);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
