// The staging journal of one cartridge: what in the staging directory is part
// of the tape, relative to a committed manifest version. Each sync point
// appends one self-contained entry (a line of JSON and its CRC32C) and
// fdatasyncs; recovery takes the last entry that verifies, so a torn final
// line costs only the sync point that was in progress.
//
// The logical tape after a crash is:
//   manifest[base].segments[0 .. keep)  (the last one cut to `trimmed.count`)
//   + pending segments, in order (sealed: whole file; open: `bytes` of it).

import { crc32c } from '@node-rs/crc32';
import { constants as fsc } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CutAway } from './manifest.ts';
import { mkdirPrivate, openPrivate, writeFilePrivate } from './private-fs.ts';

export interface PendingSegmentEntry {
  readonly seq: number;
  readonly first: number;
  /** Valid records (a prefix of the file's records). */
  readonly count: number;
  /** Synced bytes of the file (the whole file once sealed). */
  readonly bytes: number;
  readonly sealed: boolean;
}

export interface JournalEntry {
  /** Manifest version this entry is relative to (0: none yet). */
  readonly base: number;
  /** Segments of that manifest still on the tape. */
  readonly keep: number;
  /** New valid prefix of the last kept segment, when an overwrite cut it. */
  readonly trimmed?: { readonly seq: number; readonly count: number; readonly dataBytes: number };
  readonly pending: readonly PendingSegmentEntry[];
  /** MAM attributes as in the manifest ("0x0800" -> base64). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly nextSeq: number;
  /** Cut-away segments still named by kept manifests (Manifest.cutAway); absent: none. */
  readonly cutAway?: readonly CutAway[];
}

const FILE = 'journal.log';

export class StagingJournal {
  readonly #dir: string;
  #fh: fs.FileHandle | undefined;
  #lines = 0;
  #last: JournalEntry | undefined;
  readonly #compactAfter: number;

  private constructor(dir: string, last: JournalEntry | undefined, lines: number, compactAfter: number) {
    this.#dir = dir;
    this.#compactAfter = compactAfter;
    this.#last = last;
    this.#lines = lines;
  }

  /** Open (creating the directory) and read the last valid entry; the file is rewritten after `compactAfter` lines. */
  static async open(dir: string, compactAfter = 512): Promise<StagingJournal> {
    await mkdirPrivate(dir);
    let text = '';
    try {
      text = await fs.readFile(path.join(dir, FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    let last: JournalEntry | undefined;
    let lines = 0;
    for (const line of text.split('\n')) {
      const entry = parseLine(line);
      if (entry !== undefined) {
        last = entry;
        lines++;
      }
    }
    return new StagingJournal(dir, last, lines, Math.max(2, compactAfter));
  }

  get last(): JournalEntry | undefined {
    return this.#last;
  }

  get dir(): string {
    return this.#dir;
  }

  /**
   * Append an entry durably. `syncDirectory` also fsyncs the staging directory
   * (needed once a new staging file or the journal itself was created).
   */
  async append(entry: JournalEntry, syncDirectory = false): Promise<void> {
    if (this.#lines >= this.#compactAfter) {
      if (syncDirectory) await syncDir(this.#dir);
      await this.#rewrite(entry);
    } else {
      let syncDirFirst = syncDirectory;
      if (this.#fh === undefined) {
        this.#fh = await openPrivate(path.join(this.#dir, FILE), 'a');
        syncDirFirst = true;
      }
      // Directory entries (new staging files, the journal itself) are made
      // durable before an entry that depends on them.
      if (syncDirFirst) await syncDir(this.#dir);
      await appendLine(this.#fh, formatLine(entry));
      this.#lines++;
    }
    this.#last = entry;
  }

  /** Replace the file with one entry (tmp + fsync + rename + fsync dir). */
  async #rewrite(entry: JournalEntry): Promise<void> {
    await this.#fh?.close();
    this.#fh = undefined;
    const tmp = path.join(this.#dir, `${FILE}.tmp`);
    try {
      await writeFilePrivate(tmp, formatLine(entry));
      const t = await fs.open(tmp, 'r+');
      try {
        await t.datasync();
      } finally {
        await t.close();
      }
    } catch (e) {
      // ENOSPC: the old journal stays as it was; the next entry tries again.
      await fs.rm(tmp, { force: true });
      throw e;
    }
    await fs.rename(tmp, path.join(this.#dir, FILE));
    await syncDir(this.#dir);
    this.#lines = 1;
  }

  /** Remove the journal (nothing pending any more). */
  async remove(): Promise<void> {
    await this.close();
    await fs.rm(path.join(this.#dir, FILE), { force: true });
    this.#last = undefined;
    this.#lines = 0;
  }

  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }
}

/**
 * Append one line and fdatasync it. A line that cannot be written whole (a
 * full disk: ENOSPC, or a short write) or made durable is cut off again, so
 * the file keeps ending at the last good entry: a torn line left in place
 * would swallow the next entry appended after it (its text would join the
 * torn one's and fail the CRC), and recovery would fall back to an older
 * sync point than the one acknowledged.
 */
async function appendLine(fh: fs.FileHandle, line: string): Promise<void> {
  const bytes = Buffer.from(line, 'utf8');
  const start = (await fh.stat()).size;
  try {
    let done = 0;
    while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done)).bytesWritten;
    await fh.datasync();
  } catch (e) {
    await fh.truncate(start).catch(() => undefined);
    throw e;
  }
}

function formatLine(entry: JournalEntry): string {
  const json = JSON.stringify(entry);
  return `${json}\t${(crc32c(json) >>> 0).toString(16).padStart(8, '0')}\n`;
}

function parseLine(line: string): JournalEntry | undefined {
  const tab = line.lastIndexOf('\t');
  if (tab < 0) return undefined;
  const json = line.slice(0, tab);
  if ((crc32c(json) >>> 0).toString(16).padStart(8, '0') !== line.slice(tab + 1)) return undefined;
  try {
    return JSON.parse(json) as JournalEntry;
  } catch {
    return undefined;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, fsc.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
