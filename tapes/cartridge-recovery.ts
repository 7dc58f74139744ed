// Rebuild a cartridge's logical tape when it is opened: the newest manifest in
// the store, plus whatever the staging journal says was made durable locally
// after it (sealed segments not yet committed, the open segment up to the
// last sync point, cuts, attribute changes). Staging files the journal does
// not name are leftovers of a crash and are deleted.
//
// A segment holds records of one key. A staged segment's encoding comes from
// its records (their flags and key check value, record-format.ts); when an
// open segment was written under another key than the cartridge's codec now
// uses (the pool's key rotated across a restart), it is sealed here rather
// than appended to, so the manifest can name one key per segment.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CartridgeError, CartridgeErrorCode } from './errors.ts';
import type { Manifest, ManifestSegment, SegmentEncoding } from './manifest.ts';
import { RecordCodec } from './record-codec.ts';
import { type CodingTally, RecordFlag } from './record-format.ts';
import { segmentFileName } from './segment-pipeline.ts';
import type { JournalEntry, PendingSegmentEntry } from './staging-journal.ts';
import { StagingSegment } from './staging-segment.ts';
import { type SegmentRef, TapeModel, lowerBound } from './tape-model.ts';

export interface RestoredState {
  readonly model: TapeModel;
  readonly attributes: Map<number, Buffer>;
  readonly nextSeq: number;
}

const committedRef = (s: ManifestSegment): SegmentRef => ({
  seq: s.seq, first: s.first, key: s.key, records: s.records, count: s.count, dataBytes: s.dataBytes,
  size: s.size, indexOffset: s.indexOffset, state: 'committed', staging: undefined, dropped: false,
  ...(s.encoding === undefined ? {} : { encoding: s.encoding }),
});

/**
 * The encoding of a staged segment from what its data records say; `current`
 * when they were written the way `codec` writes now (or there are none yet).
 */
function stagedEncoding(tally: CodingTally, codec: RecordCodec): { readonly encoding: SegmentEncoding | undefined; readonly current: boolean } {
  const mine = codec.isPlain ? undefined : codec.encoding;
  if (tally.keyCheck === undefined || (!tally.mixed && tally.keyCheck === codec.keyCheck)) return { encoding: mine, current: true };
  const compression = (tally.flags & RecordFlag.DEFLATE) !== 0 ? 'deflate' : 'none';
  if (tally.keyCheck === 0 && !tally.mixed) return { encoding: compression === 'none' ? undefined : { compression }, current: false };
  // Mixed keys (never written so): no key id, each record's check value finds its key.
  if (tally.mixed) return { encoding: { compression }, current: false };
  const keyId = codec.keyIdOf(tally.keyCheck) ?? `check:${tally.keyCheck.toString(16).padStart(4, '0')}`;
  return { encoding: { compression, encryption: { alg: 'AES-256-GCM', keyId } }, current: false };
}

export async function restoreState(
  barcode: string,
  manifest: Manifest,
  journal: JournalEntry | undefined,
  stagingDir: string,
  batchBytes: number,
  segmentKey: (first: number, seq: number) => string,
  codec: RecordCodec = RecordCodec.PLAIN,
): Promise<RestoredState> {
  const fail = (why: string, cause?: unknown): never => {
    throw new CartridgeError(CartridgeErrorCode.STAGING, barcode, `staging recovery: ${why}`, { cause });
  };
  let committed: SegmentRef[] = manifest.segments.map(committedRef);
  let pending: readonly PendingSegmentEntry[] = [];
  if (journal !== undefined) {
    if (journal.base === manifest.version) {
      // The journal may have cut the committed tape after this manifest.
      if (journal.keep > committed.length) fail(`journal keeps ${journal.keep} of ${committed.length} segments`);
      committed = committed.slice(0, journal.keep);
      const last = committed[committed.length - 1];
      if (journal.trimmed !== undefined && last !== undefined) {
        if (journal.trimmed.seq !== last.seq) fail(`journal trims segment ${journal.trimmed.seq}, manifest has ${last.seq}`);
        last.count = journal.trimmed.count;
        last.dataBytes = journal.trimmed.dataBytes;
      }
      pending = journal.pending;
    } else if (journal.base === (manifest.base ?? manifest.version - 1)) {
      // Crashed after writing a manifest and before rebasing the journal on it:
      // the manifest was built from this journal's state, so only the pending
      // segments it does not name are still staged. (`base`: the manifest went
      // past versions that were refused when the cartridge was opened.)
      const inManifest = new Set(manifest.segments.map((s) => s.seq));
      pending = journal.pending.filter((p) => !inManifest.has(p.seq));
    } else {
      fail(`journal is relative to manifest ${journal.base}, store has ${manifest.version}: another gateway wrote this cartridge?`);
    }
  }

  const model = new TapeModel();
  const end = committed.length === 0 ? 0 : committed[committed.length - 1]!.first + committed[committed.length - 1]!.count;
  const committedMarks = manifest.filemarks.slice(0, lowerBound(manifest.filemarks as number[], end));
  for (const ref of committed) model.addSegment(ref, []);
  for (const f of committedMarks) model.filemarks.push(f);

  const keepFiles = new Set<string>();
  const last = pending[pending.length - 1];
  try {
    for (const p of pending) {
      const file = path.join(stagingDir, segmentFileName(p.seq));
      // An open segment with no synced record holds nothing of the tape. Its
      // file may be gone although the journal still names it: a previous
      // recovery (or a seal of an empty segment) deleted it without a new
      // journal entry, then the gateway crashed again. Opening it would fail
      // with ENOENT and make the cartridge unloadable for good.
      if (p.count === 0 && !p.sealed) continue;
      keepFiles.add(segmentFileName(p.seq));
      const staging = await StagingSegment.recover(file, p.seq, p.first, p.bytes, p.sealed, batchBytes);
      if (!p.sealed && p.count < staging.index.count) await staging.truncate(p.count);
      const { encoding, current } = stagedEncoding(staging.coding, codec);
      // Written under another key: seal it (uploaded by the pipeline) so new records start a
      // segment of their own. Only the last segment stays open: an earlier unsealed one was
      // sealing behind the writes when the gateway stopped.
      const seal = p.sealed || !current || p !== last;
      if (seal) await staging.seal();
      const sealed = staging.sealed;
      const ref: SegmentRef = {
        seq: p.seq, first: p.first, records: staging.index.count, count: p.count,
        dataBytes: staging.index.dataBytes(p.count), size: sealed?.size ?? 0, indexOffset: sealed?.indexOffset ?? 0,
        key: segmentKey(p.first, p.seq), state: seal ? 'sealed' : 'open', staging, dropped: false,
        ...(encoding === undefined ? {} : { encoding }),
      };
      model.addSegment(ref, staging.index.filemarks(p.count).map((i) => i + p.first));
    }
  } catch (e) {
    for (const ref of model.segments) await ref.staging?.close();
    if (e instanceof CartridgeError) throw e;
    return fail((e as Error).message, e);
  }

  for (const name of await fs.readdir(stagingDir)) {
    if (name.endsWith('.seg') && !keepFiles.has(name)) await fs.rm(path.join(stagingDir, name), { force: true });
  }
  const attributes = new Map<number, Buffer>();
  for (const [k, v] of Object.entries(journal?.attributes ?? manifest.attributes)) attributes.set(Number.parseInt(k, 16), Buffer.from(v, 'base64'));
  return { model, attributes, nextSeq: Math.max(manifest.nextSeq, journal?.nextSeq ?? 0) };
}
