// `catalog points` on the control channel: its arguments and the stable
// shape of every restore point it lists (tape files and CDP history alike).
import { z } from 'zod';

export const POINT_APPS = ['amanda', 'bacula', 'unknown', 'cdp'] as const;

export const CatalogPointsArgs = z.strictObject({
  barcode: z.string().optional(),
  volume: z.string().optional(),
  app: z.enum(POINT_APPS).optional(),
});
export type CatalogPointsArgs = z.input<typeof CatalogPointsArgs>;

/**
 * One restore point. Tape points: what a backup application wrote at the
 * start of a tape file (`kind` label, backup, end, data) or in a Bacula
 * session label. CDP points: the any-point window's ends, thinned tier points
 * and bookmarks of a volume. Fields that do not apply are null.
 */
export interface RestorePointInfo {
  readonly source: 'tape' | 'cdp';
  readonly app: (typeof POINT_APPS)[number];
  /** Tape: label | backup | end | data. CDP: window-start | window-end | tier | bookmark. */
  readonly kind: string;
  /** The instant the point stands for (ISO 8601): a Bacula job's start, else when the tape file was written; a CDP instant. */
  readonly time: string;
  readonly barcode: string | null;
  readonly fileNumber: number | null;
  /** Logical object id of the record on the cartridge. */
  readonly objectId: number | null;
  readonly volume: string | null;
  /** Amanda's client host, Bacula's client name. */
  readonly host: string | null;
  /** Amanda's disk (DLE). */
  readonly disk: string | null;
  /** Bacula's job name and id. */
  readonly job: string | null;
  readonly jobId: number | null;
  /** Amanda's dump level ("0", "1", ...), Bacula's job level ("F", "I", "D", ...). */
  readonly level: string | null;
  /** The cartridge's label as the application wrote it (Amanda tape label, Bacula volume name). */
  readonly label: string | null;
  /** The application's own date: Amanda's datestamp as written (YYYYMMDDhhmmss, server local time), Bacula's ISO 8601. */
  readonly date: string | null;
  /** When the gateway saw the tape file written. */
  readonly writtenAt: string | null;
  /** Tape: bytes written in the point's tape file. */
  readonly bytes: number | null;
  /** The rule that keeps the point. */
  readonly keptBy: string;
  /** Until when that rule keeps it (ISO 8601), null when unknown or open-ended. */
  readonly keptUntil: string | null;
  /** Everything else the header said (pool, compression, part, job end, CDP seq...). */
  readonly detail: Record<string, unknown>;
}

export interface CatalogPointsResult { readonly points: RestorePointInfo[] }

export interface PointsCommands {
  'catalog.points': { args: CatalogPointsArgs; result: CatalogPointsResult };
}
