// What a tape file holds, from the first record written in it (and, for
// Bacula, from the label records of any later block): the facts of the
// restore points the catalog records. Total functions: any input gives facts,
// at worst an "unknown" point, never an exception.
import { parseAmandaHeader, type AmandaHeader } from './amanda-header.ts';
import { parseSessionLabel, parseVolumeLabel, scanBaculaBlock, type BaculaBlock, type SessionLabel } from './bacula-label.ts';

export type PointApp = 'amanda' | 'bacula' | 'unknown';
/** label: names the cartridge; backup: a dump or job starts; end: the application closed the tape; data: anything else. */
export type PointKind = 'label' | 'backup' | 'end' | 'data';

export interface PointFacts {
  readonly app: PointApp;
  readonly kind: PointKind;
  readonly host: string | null;
  readonly disk: string | null;
  readonly job: string | null;
  readonly jobId: number | null;
  readonly level: string | null;
  /** The cartridge label this record writes (Amanda TAPESTART, Bacula volume label); null for the others. */
  readonly label: string | null;
  /** The application's own date: Amanda's datestamp as written, Bacula's label time (ISO 8601). */
  readonly date: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** The end of a Bacula job (EOS label): what the job's point learns. */
export interface JobEnd {
  readonly jobId: number;
  readonly jobFiles: number;
  readonly jobBytes: number;
  readonly jobStatus: string | null;
  readonly time: string | null;
}

export interface Recognized {
  readonly points: PointFacts[];
  readonly ends: JobEnd[];
}

const none = { host: null, disk: null, job: null, jobId: null, level: null, label: null, date: null } as const;

function amanda(h: AmandaHeader): PointFacts {
  const detail: Record<string, unknown> = { type: h.type, datestamp: h.datestamp };
  switch (h.type) {
    case 'TAPESTART':
      return { ...none, app: 'amanda', kind: 'label', label: h.label!, date: h.datestamp, detail };
    case 'TAPEEND':
      return { ...none, app: 'amanda', kind: 'end', date: h.datestamp || null, detail };
    case 'NOOP':
      return { ...none, app: 'amanda', kind: 'data', detail };
    default:
      Object.assign(detail, {
        compression: h.compression,
        ...(h.program !== undefined && { program: h.program }),
        ...(h.part !== undefined && { part: h.part, totalParts: h.totalParts }),
      });
      return { ...none, app: 'amanda', kind: 'backup', host: h.host!, disk: h.disk!, level: String(h.level), date: h.datestamp, detail };
  }
}

function session(s: SessionLabel, b: BaculaBlock): PointFacts {
  return {
    ...none, app: 'bacula', kind: 'backup', host: s.clientName, job: s.jobName, jobId: s.jobId, level: s.jobLevel, date: s.time,
    detail: {
      record: 'SOS_LABEL', unique: s.job, pool: s.poolName, poolType: s.poolType, fileSet: s.fileSetName, type: s.jobType,
      volSessionId: b.volSessionId, volSessionTime: b.volSessionTime, block: b.blockNumber,
    },
  };
}

/** Label records of a Bacula block: a volume label, the sessions that start (SOS) and end (EOS) in it. */
export function recognizeBaculaBlock(b: BaculaBlock): Recognized {
  const points: PointFacts[] = [];
  const ends: JobEnd[] = [];
  for (const r of b.labels) {
    const v = parseVolumeLabel(r);
    if (v !== undefined) {
      points.push({
        ...none, app: 'bacula', kind: 'label', host: v.hostName || null, label: v.volumeName, date: v.labelTime,
        detail: { record: v.type, pool: v.poolName, poolType: v.poolType, mediaType: v.mediaType, previous: v.prevVolumeName || null, version: v.version },
      });
      continue;
    }
    const s = parseSessionLabel(r);
    if (s?.type === 'SOS') points.push(session(s, b));
    else if (s?.type === 'EOS') ends.push({ jobId: s.jobId, jobFiles: s.jobFiles ?? 0, jobBytes: s.jobBytes ?? 0, jobStatus: s.jobStatus ?? null, time: s.time });
  }
  return { points, ends };
}

/** The first record of a tape file: its points (at least one). */
export function recognizeFileStart(head: Buffer, recordBytes: number): Recognized {
  try {
    const a = parseAmandaHeader(head);
    if (a !== undefined) return { points: [amanda(a)], ends: [] };
    const b = scanBaculaBlock(head);
    if (b !== undefined) {
      const r = recognizeBaculaBlock(b);
      if (r.points.length > 0) return r;
      // A file that starts inside a job (Bacula's maximum file size reached).
      return {
        points: [{ ...none, app: 'bacula', kind: 'data', detail: { volSessionId: b.volSessionId, volSessionTime: b.volSessionTime, block: b.blockNumber } }],
        ends: r.ends,
      };
    }
  } catch {
    // Falls through to unknown: a header that does not parse is just data.
  }
  return { points: [{ ...none, app: 'unknown', kind: 'data', detail: { firstRecordBytes: recordBytes } }], ends: [] };
}
