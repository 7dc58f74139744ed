// BlockBackend: what an SBC disk needs from its storage. Declared here, where
// it is consumed; src/cdp implements it (sparse local file, journaled volume).

/** The provisioning state of an extent (SBC-3 GET LBA STATUS). */
export interface ExtentStatus {
  /** false: deallocated (reads return zeros). */
  readonly mapped: boolean;
  /** Blocks from the asked LBA that share this state (>= 1, clipped to the end of the volume). */
  readonly blocks: bigint;
}

export interface BlockBackend {
  /**
   * The backend refuses writes (a point-in-time view): the disk reports WP and
   * answers every write with DATA PROTECT before reaching write().
   */
  readonly readOnly?: boolean;
  /** Logical block length in bytes (512 or 4096). */
  readonly blockSize: number;
  /** Number of logical blocks. */
  readonly blockCount: bigint;
  /** Read `blocks` blocks at `lba`. The range has been checked. */
  read(lba: bigint, blocks: number): Promise<Buffer>;
  /** Write whole blocks (`data.length` is a multiple of blockSize) at `lba`. */
  write(lba: bigint, data: Buffer): Promise<void>;
  /** Make every completed write durable (SYNCHRONIZE CACHE, FUA). */
  flush(): Promise<void>;
  /**
   * Deallocate blocks; later reads of them return zeros (the disk reports
   * LBPRZ = 1). Present = the backend is thin provisioned (UNMAP, WRITE SAME UNMAP).
   */
  unmap?(lba: bigint, blocks: bigint): Promise<void>;
  /** Set blocks to zero, faster than writing zero buffers; may deallocate. Optional. */
  writeZeroes?(lba: bigint, blocks: bigint): Promise<void>;
  /** Provisioning state of the extent that starts at `lba`. Required when unmap is present. */
  extentStatus?(lba: bigint): Promise<ExtentStatus>;
  /** Release resources (file handles). */
  close?(): Promise<void>;
}
