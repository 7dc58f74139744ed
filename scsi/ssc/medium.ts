// SequentialMedium: what an SSC drive needs from a loaded cartridge. Declared
// here, where it is consumed; tapes/ implements it structurally and knows
// nothing of SCSI.
//
// The model (SSC-4 4.2): a partition is a sequence of logical objects (data
// blocks and filemarks) followed by end of data (EOD). A position is the
// logical object identifier of the next object: 0 is beginning of partition
// (BOP), and objects are numbered from 0 counting blocks and filemarks alike.

export interface MediumPosition {
  /** Logical object identifier of the next object (blocks and filemarks both count). */
  readonly objectId: number;
  /** Filemarks before the position (the "file number" of READ POSITION long form). */
  readonly fileNumber: number;
  /** Logical object identifier of EOD (the number of objects on the partition). */
  readonly eodObjectId: number;
}

export type ReadOutcome =
  | { readonly kind: 'block'; readonly data: Buffer }
  | { readonly kind: 'filemark' }
  | { readonly kind: 'end-of-data' };

/** Why a SPACE or LOCATE stopped short of the count asked. */
export type SpaceStop = 'filemark' | 'end-of-data' | 'beginning-of-partition';

export interface SpaceOutcome {
  /** Units actually spaced over (>= 0), in the direction asked. */
  readonly spaced: number;
  /** Set when the count was not completed. */
  readonly stoppedBy?: SpaceStop;
}

export interface MediumAttributes {
  /** Barcode / volume identifier (MAM 0806h BARCODE and 0008h MEDIUM SERIAL NUMBER source). */
  readonly barcode: string;
  /** e.g. "LTO-6"; from the barcode suffix (L5..L9). */
  readonly mediaType: string;
  readonly worm: boolean;
  readonly writeProtected: boolean;
  /** Native capacity in bytes. */
  readonly capacityBytes: number;
  /** Bytes before capacity at which early warning (EOM, 00/02) begins. */
  readonly earlyWarningBytes: number;
}

export interface SequentialMedium {
  readonly attributes: MediumAttributes;
  position(): MediumPosition;
  /** Bytes of data stored before EOD (for early warning, capacity and LOG SENSE). */
  usedBytes(): number;

  /**
   * Read the object at the position. A block or filemark advances past it;
   * at EOD the position does not move. Throws MediumIntegrityError on a CRC
   * mismatch (the drive reports MEDIUM ERROR 11/00).
   */
  read(): Promise<ReadOutcome>;
  /**
   * Write blocks at the position, replacing everything after it (SSC-4: a write
   * makes the written object the last before EOD). `data.length` is a multiple
   * of `blockLength`; each block is one logical object.
   */
  write(data: Buffer, blockLength: number): Promise<void>;
  /** Write `count` filemarks at the position, replacing everything after it. */
  writeFilemarks(count: number): Promise<void>;
  /** Erase from the position to the end: the position becomes EOD. */
  erase(): Promise<void>;

  /** Space over `count` blocks (negative: backwards). Stops at a filemark (positioned past it in the direction of travel), EOD or BOP. */
  spaceBlocks(count: number): Promise<SpaceOutcome>;
  /** Space over `count` filemarks (negative: backwards). Stops at EOD or BOP. */
  spaceFilemarks(count: number): Promise<SpaceOutcome>;
  /** Move to EOD. */
  spaceToEndOfData(): Promise<void>;
  /** Move to the logical object identifier; past EOD it stops at EOD and returns false. */
  locate(objectId: number): Promise<boolean>;
  rewind(): Promise<void>;

  /** Sync point: everything written is durable as the configuration defines before this resolves. */
  flush(): Promise<void>;
  /** MAM attributes stored with the cartridge (SPC-4 READ/WRITE ATTRIBUTE), by attribute id. */
  readAttribute(id: number): Buffer | undefined;
  writeAttribute(id: number, value: Buffer): Promise<void>;
  listAttributes(): readonly number[];
  /** Unload: flush and release the cartridge. The object is unusable afterwards. */
  close(): Promise<void>;
}

/** Thrown by read() when a record's CRC32C does not match (the drive reports MEDIUM ERROR 11/00). */
export class MediumIntegrityError extends Error {
  readonly objectId: number;
  constructor(objectId: number, message: string) {
    super(message);
    this.name = 'MediumIntegrityError';
    this.objectId = objectId;
  }
}
