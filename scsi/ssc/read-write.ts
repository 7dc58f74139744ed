// READ(6), WRITE(6), WRITE FILEMARKS(6)/(16), VERIFY(6) (SSC-4 7.x): the data
// path and every status the stream commands report (ILI, FM, EOM, BLANK CHECK,
// early warning, VOLUME OVERFLOW, WORM, write protect, integrity errors).
import type { CdbReader } from '../cdb.ts';
import type { ScsiCommand } from '../command.ts';
import { ScsiError, Sense, invalidCdbField, type SenseCode, type SenseDetail } from '../sense.ts';
import { MediumIntegrityError, type ReadOutcome } from './medium.ts';
import type { Loaded, TapeDrive } from './tape-drive.ts';
import { TapeAlertFlag, TapeSense } from './tape-sense.ts';

/**
 * tapes/ cannot import scsi/, so its cartridge throws its own class of the same
 * name and shape: recognise the error by name as well as by class.
 */
function isMediumIntegrityError(err: unknown): err is MediumIntegrityError {
  return err instanceof MediumIntegrityError || (err instanceof Error && err.name === 'MediumIntegrityError' && typeof (err as { objectId?: unknown }).objectId === 'number');
}

/**
 * A block encrypted under a key the gateway lacks (tapes/ throws its
 * CartridgeKeyError with this code): the medium is fine, the data is
 * protected, so DATA PROTECT 74/01 (74/03 when the key id has other bytes).
 */
function keyUnavailable(err: unknown): { keyId: string; mismatch: boolean } | undefined {
  if (!(err instanceof Error) || (err as { code?: unknown }).code !== 'VTL_CARTRIDGE_KEY_UNAVAILABLE') return undefined;
  const e = err as { keyId?: unknown; reason?: unknown };
  return { keyId: String(e.keyId), mismatch: e.reason === 'mismatch' };
}

/** Read one object, turning a CRC failure into MEDIUM ERROR 11/00 with the residue in INFORMATION. */
async function readObject(d: TapeDrive, l: Loaded, residue: number): Promise<ReadOutcome> {
  try {
    return await l.medium.read();
  } catch (err) {
    const key = keyUnavailable(err);
    if (key !== undefined) {
      d.counters.readErrors++;
      d.log.warn('tape read: block encrypted under a key this gateway does not have', { serial: d.serial, keyId: key.keyId, error: (err as Error).message });
      throw new ScsiError(key.mismatch ? TapeSense.incorrectDataEncryptionKey : TapeSense.unableToDecrypt, { info: residue });
    }
    if (!isMediumIntegrityError(err)) throw err;
    d.counters.readErrors++;
    d.tapeAlerts.add(TapeAlertFlag.media);
    d.tapeAlerts.add(TapeAlertFlag.readFailure);
    d.log.warn('tape read: record failed its integrity check', { serial: d.serial, objectId: err.objectId, error: err.message });
    throw new ScsiError(Sense.unrecoveredReadError, { info: residue });
  }
}

/**
 * READ(6)
 *   byte 1  bit 1  SILI   bit 0 FIXED
 *   byte 2-4       TRANSFER LENGTH (bytes when FIXED=0, blocks when FIXED=1)
 * SSC-4: an incorrect-length block ends the command with CHECK CONDITION, ILI,
 * NO SENSE, INFORMATION = requested minus actual (negative when the block is
 * longer: overlength), positioned after the block. A filemark: FM, 00/01,
 * positioned after it. EOD: BLANK CHECK 00/05. The blocks read before the
 * condition are transferred.
 */
export async function read6(d: TapeDrive, cmd: ScsiCommand, cdb: CdbReader): Promise<Buffer | void> {
  const fixed = cdb.bit(1, 0);
  const sili = cdb.bit(1, 1);
  const length = cdb.u24(2);
  if (fixed && sili) throw invalidCdbField(1, 1);
  if (fixed && d.blockLength === 0) throw invalidCdbField(1, 0);
  const l = d.atPosition();
  if (length === 0) return;
  await d.sync(l);
  return fixed ? readFixed(d, cmd, l, length) : readVariable(d, cmd, l, length, sili);
}

async function readVariable(d: TapeDrive, cmd: ScsiCommand, l: Loaded, length: number, sili: boolean): Promise<Buffer | void> {
  const o = await readObject(d, l, length);
  if (o.kind === 'filemark') throw new ScsiError(Sense.filemarkDetected, { filemark: true, info: length });
  if (o.kind === 'end-of-data') throw new ScsiError(Sense.endOfDataDetected, { info: length });
  const actual = o.data.length;
  const data = actual > length ? o.data.subarray(0, length) : o.data;
  d.countRead(data.length);
  if (actual === length) return data;
  // SILI=1, variable mode: underlength is never reported; overlength only when the mode BLOCK LENGTH is non-zero.
  if (sili && (actual < length || d.blockLength === 0)) return data;
  return d.failWithData(cmd, data, Sense.noAdditionalSense, { ili: true, info: length - actual });
}

async function readFixed(d: TapeDrive, cmd: ScsiCommand, l: Loaded, blocks: number): Promise<Buffer> {
  const size = d.blockLength;
  // Collected block by block: memory follows what the tape holds, not what the CDB asks for.
  const got: Buffer[] = [];
  const partial = (): Buffer => (got.length === 1 ? got[0]! : Buffer.concat(got));
  for (let i = 0; i < blocks; i++) {
    const fail = (sense: SenseCode, detail: SenseDetail): never => {
      d.countRead(i * size);
      return d.failWithData(cmd, partial(), sense, detail);
    };
    let o: ReadOutcome;
    try {
      o = await readObject(d, l, blocks - i);
    } catch (err) {
      if (err instanceof ScsiError) fail(err.sense, err.detail);
      throw err;
    }
    if (o.kind === 'filemark') fail(Sense.filemarkDetected, { filemark: true, info: blocks - i });
    if (o.kind === 'end-of-data') fail(Sense.endOfDataDetected, { info: blocks - i });
    if (o.kind !== 'block') continue;
    // "not including the incorrect-length logical block"
    if (o.data.length !== size) fail(Sense.noAdditionalSense, { ili: true, info: blocks - i });
    got.push(o.data);
  }
  // One block (the usual fixed-mode READ of one record) goes out as read: no copy.
  const out = got.length === 1 ? got[0]! : Buffer.concat(got);
  d.countRead(out.length);
  return out;
}

/**
 * WRITE(6)
 *   byte 1  bit 0  FIXED
 *   byte 2-4       TRANSFER LENGTH
 * Past early warning the data is written and the command ends NO SENSE, EOM,
 * 00/02, VALID, INFORMATION 0 (nothing left unwritten; SSC-4 4.2.5). Linux st
 * returns that write's full count, fails the next write() with ENOSPC without
 * sending it, and sends the one after: "ENOSPC ok ENOSPC ok ..." from there
 * on. Amanda 3.5 calls that LEOM only with device-property "LEOM" "TRUE"
 * (without it an ENOSPC is the end of the tape, whatever the drive does).
 * A write that does not fit before the end of the partition is refused:
 * VOLUME OVERFLOW, EOM, 00/02, INFORMATION = what was not written.
 */
export async function write6(d: TapeDrive, cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  const fixed = cdb.bit(1, 0);
  const length = cdb.u24(2);
  if (fixed && d.blockLength === 0) throw invalidCdbField(1, 0);
  const l = d.atPosition();
  if (length === 0) return;
  const { min, max } = d.profile.blockLimits;
  if (!fixed && (length < min || length > max)) throw invalidCdbField(2);
  d.checkWritable(l);
  d.checkAppendOnly(l);
  const blockLength = fixed ? d.blockLength : length;
  const blocks = fixed ? length : 1;
  const total = blocks * blockLength;
  const data = cmd.dataOut;
  if (data === undefined || data.length < total) throw new ScsiError(Sense.dataPhaseError);

  const { earlyWarning, capacity } = d.limits(l);
  const used = await usedBeforeWriting(d, l);
  const fit = used + total <= capacity ? blocks : fixed ? Math.max(0, Math.floor((capacity - used) / blockLength)) : 0;
  if (fit > 0) {
    await writeBlocks(d, l, data.subarray(0, fit * blockLength), blockLength, fixed ? blocks : length);
    d.countWritten(fit * blockLength);
  }
  if (fit < blocks) {
    throw new ScsiError(Sense.endOfPartitionMediumDetected, { eom: true, info: fixed ? blocks - fit : length });
  }
  if (used + total > earlyWarning) throw new ScsiError(Sense.endOfPartitionDetected, { eom: true, info: 0 });
}

/**
 * The data on the tape before the position, which is what a write here must
 * fit beside: "a WRITE ... command ... shall cause the logical object written
 * to be the last one before EOD" (SSC-4 4.2.6), so whatever lies after the
 * position goes first. Without this a full tape could never be relabelled at
 * BOP (Bacula and Amanda recycling a volume).
 */
async function usedBeforeWriting(d: TapeDrive, l: Loaded): Promise<number> {
  const p = l.medium.position();
  if (p.objectId < p.eodObjectId) {
    await l.medium.erase();
    d.markDirty();
  }
  return l.medium.usedBytes();
}

/**
 * A write the medium refused (a store outage that outlasted the staging
 * wait, a full staging disk, a staging I/O error) is MEDIUM ERROR, WRITE
 * ERROR 03/0C/00 with INFORMATION = the residue: the medium appends nothing
 * of a write it refuses before appending, so the whole request (blocks when
 * FIXED, else bytes) was not written and the position did not move. A
 * fixed-block write the disk stopped part-way (the medium says how many
 * blocks it kept: `written`) reports the blocks not written, and the
 * position is after the ones that were (SSC-4 4.2.x: INFORMATION is the
 * requested transfer length minus what was written). What the medium
 * acknowledged before stays held by it: nothing is dropped, so there is no
 * deferred error to report.
 */
async function writeBlocks(d: TapeDrive, l: Loaded, data: Buffer, blockLength: number, residue: number): Promise<void> {
  try {
    await l.medium.write(data, blockLength);
    d.markDirty();
  } catch (err) {
    const written = writtenBefore(err);
    if (written > 0) {
      d.markDirty();
      d.countWritten(written * blockLength);
    }
    d.counters.writeErrors++;
    d.tapeAlerts.add(TapeAlertFlag.writeFailure);
    d.log.error('tape write failed', { serial: d.serial, barcode: l.barcode, objectId: l.medium.position().objectId, written, code: errorCode(err), err: err instanceof Error ? err.message : String(err) });
    throw new ScsiError(Sense.writeError, { info: residue - written });
  }
  await d.syncIfUnbuffered(l);
}

/** Blocks a refused write still appended (tapes/ PartialWriteError: `written`), else 0. */
function writtenBefore(err: unknown): number {
  const w = (err as { written?: unknown } | undefined)?.written;
  return typeof w === 'number' && Number.isSafeInteger(w) && w > 0 ? w : 0;
}

const errorCode = (err: unknown): string | undefined => {
  const c = (err as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
};

/**
 * WRITE FILEMARKS(6)
 *   byte 1  bit 1  WSMK (setmarks: not supported)   bit 0 IMMED
 *   byte 2-4       NUMBER OF FILEMARKS (at most MAX_FILEMARKS_PER_COMMAND)
 * IMMED=0 is a sync point: everything before it is durable before GOOD
 * ("WRITE FILEMARKS with a count of zero" is how st and Bacula flush).
 */
export async function writeFilemarks6(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  if (cdb.bit(1, 1)) throw invalidCdbField(1, 1);
  await writeFilemarks(d, filemarkCount(cdb, 2), cdb.bit(1, 0));
}

/**
 * The most filemarks one WRITE FILEMARKS writes. Each filemark is a record in
 * the cartridge's segments and an entry in its manifest, and filemarks take no
 * capacity here: the field's maximum (16,777,215) would hold the drive for
 * minutes and grow the manifest by hundreds of MB. Backup software writes one
 * or two at a time; a larger count is INVALID FIELD IN CDB, nothing written.
 */
export const MAX_FILEMARKS_PER_COMMAND = 65_535;

const filemarkCount = (cdb: CdbReader, at: number): number => {
  const count = cdb.u24(at);
  if (count > MAX_FILEMARKS_PER_COMMAND) throw invalidCdbField(at);
  return count;
};

/**
 * WRITE FILEMARKS(16)
 *   byte 1  bit 0  IMMED  (FCS/LCS bits 3/2 not supported)
 *   byte 3         PARTITION
 *   byte 4-11      LOGICAL OBJECT IDENTIFIER (must be the current position)
 *   byte 12-14     FILEMARK COUNT
 */
export async function writeFilemarks16(d: TapeDrive, _cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  if (cdb.bits(1, 1, 3) !== 0) throw invalidCdbField(1, 1);
  if (cdb.u8(3) !== 0) throw invalidCdbField(3);
  const l = d.atPosition();
  if (cdb.u64(4) !== BigInt(l.medium.position().objectId)) throw invalidCdbField(4);
  await writeFilemarks(d, filemarkCount(cdb, 12), cdb.bit(1, 0));
}

async function writeFilemarks(d: TapeDrive, count: number, immed: boolean): Promise<void> {
  const l = d.atPosition();
  if (count > 0) {
    d.checkWritable(l);
    d.checkAppendOnly(l);
    const { earlyWarning, capacity } = d.limits(l);
    const used = await usedBeforeWriting(d, l);
    // Filemarks take no data bytes here: like the slack a real cartridge keeps
    // past early warning, they can always close a file at the end of the tape
    // (Bacula and Amanda write one after ENOSPC).
    if (used > capacity) throw new ScsiError(Sense.endOfPartitionMediumDetected, { eom: true, info: count });
    const before = l.medium.position().objectId;
    try {
      await l.medium.writeFilemarks(count);
    } catch (err) {
      const written = l.medium.position().objectId - before;
      if (written > 0) d.markDirty();
      d.counters.writeErrors++;
      d.tapeAlerts.add(TapeAlertFlag.writeFailure);
      d.log.error('tape write filemarks failed', { serial: d.serial, barcode: l.barcode, objectId: before, written, code: errorCode(err), err: err instanceof Error ? err.message : String(err) });
      // INFORMATION: the filemarks not written (SSC-4 WRITE FILEMARKS).
      throw new ScsiError(Sense.writeError, { info: count - Math.max(0, written) });
    }
    d.markDirty();
    if (!immed) await d.flush(l);
    if (used > earlyWarning) throw new ScsiError(Sense.endOfPartitionDetected, { eom: true, info: 0 });
    return;
  }
  if (!immed) await d.flush(l);
}

/**
 * VERIFY(6)
 *   byte 1  bit 5 VTE  bit 4 VLBPM  bit 3 VBF  bit 2 IMMED  bit 1 BYTCMP  bit 0 FIXED
 *   byte 2-4       VERIFICATION LENGTH
 * Reads like READ (same FM/ILI/EOD reporting) without transferring data;
 * BYTCMP=1 compares with the data-out (MISCOMPARE 1D/00, INFORMATION = residue).
 */
export async function verify6(d: TapeDrive, cmd: ScsiCommand, cdb: CdbReader): Promise<void> {
  if (cdb.bits(1, 3, 3) !== 0) throw invalidCdbField(1, 3);
  const fixed = cdb.bit(1, 0);
  const bytcmp = cdb.bit(1, 1);
  const length = cdb.u24(2);
  if (fixed && d.blockLength === 0) throw invalidCdbField(1, 0);
  const l = d.atPosition();
  if (length === 0) return;
  await d.sync(l);
  const blocks = fixed ? length : 1;
  const expected = bytcmp ? cmd.dataOut : undefined;
  if (bytcmp && (expected === undefined || expected.length < (fixed ? length * d.blockLength : length))) {
    throw new ScsiError(Sense.dataPhaseError);
  }
  for (let i = 0; i < blocks; i++) {
    const residue = fixed ? blocks - i : length;
    const o = await readObject(d, l, residue);
    if (o.kind === 'filemark') throw new ScsiError(Sense.filemarkDetected, { filemark: true, info: residue });
    if (o.kind === 'end-of-data') throw new ScsiError(Sense.endOfDataDetected, { info: residue });
    if (o.kind !== 'block') continue;
    const want = fixed ? d.blockLength : length;
    if (o.data.length !== want) throw new ScsiError(Sense.noAdditionalSense, { ili: true, info: fixed ? blocks - i : length - o.data.length });
    if (expected !== undefined && !o.data.equals(expected.subarray(i * want, (i + 1) * want))) {
      throw new ScsiError(Sense.miscompareDuringVerify, { info: residue });
    }
  }
}
