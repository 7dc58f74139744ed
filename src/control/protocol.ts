// The control channel's wire format and the shapes of every command's result.
// One request per line, one response per line (newline-delimited JSON):
//
//   -> {"id":1,"command":"tape.list","args":{}}
//   <- {"id":1,"ok":true,"result":{...}}
//   <- {"id":1,"ok":false,"error":{"code":"VTL_USAGE","message":"..."}}
//
// Results are the commands' `--json` output, so online and offline print the
// same thing. Field names are stable; add fields, never rename them.
import { join } from 'node:path';
import { z } from 'zod';
import type { CdpCommands } from './cdp-protocol.ts';
import type { PointsCommands } from './points-protocol.ts';

/** The socket serve creates in its data directory. */
export const controlSocketPath = (dataDir: string): string => join(dataDir, 'control.sock');

export const TapeCreateArgs = z.strictObject({
  barcodes: z.array(z.string()).default([]),
  prefix: z.string().optional(),
  count: z.number().int().optional(),
  media: z.string().optional(),
  first: z.number().int().optional(),
  pool: z.string().default('default'),
  capacityBytes: z.number().int().positive().optional(),
  worm: z.boolean().default(false),
  library: z.string().optional(),
  shelf: z.boolean().default(false),
});
export type TapeCreateArgs = z.input<typeof TapeCreateArgs>;

export const TapeListArgs = z.strictObject({ pool: z.string().optional(), library: z.string().optional() });
export type TapeListArgs = z.input<typeof TapeListArgs>;

/** `tape protect` (protect: true) and `tape unprotect` (false): the cartridge's write-protect switch. */
export const TapeProtectArgs = z.strictObject({ barcodes: z.array(z.string()).default([]), protect: z.boolean() });
export type TapeProtectArgs = z.input<typeof TapeProtectArgs>;

export const LibraryStatusArgs = z.strictObject({ library: z.string().optional() });
export type LibraryStatusArgs = z.input<typeof LibraryStatusArgs>;

export const LibraryImportArgs = z.strictObject({ library: z.string(), barcode: z.string(), slot: z.number().int().optional() });
export type LibraryImportArgs = z.input<typeof LibraryImportArgs>;

/**
 * `slot` is an element address or a barcode; `library` defaults to the only
 * one. A barcode already on the shelf whose archive was interrupted resumes it.
 */
export const LibraryExportArgs = z.strictObject({ library: z.string().optional(), slot: z.union([z.number().int(), z.string()]) });
export type LibraryExportArgs = z.input<typeof LibraryExportArgs>;

/** One bounded step of moving a shelf cartridge's objects to the archive (the CLI repeats it). */
export const TapeArchiveArgs = z.strictObject({ barcode: z.string() });
export type TapeArchiveArgs = z.input<typeof TapeArchiveArgs>;

/** One bounded step of bringing an archived cartridge back (restore, copy back, then an import/export slot). */
export const TapeRetrieveArgs = z.strictObject({
  barcode: z.string(),
  tier: z.enum(['Standard', 'Bulk', 'Expedited']).default('Standard'),
  days: z.number().int().min(1).max(365).default(7),
  library: z.string().optional(),
  slot: z.number().int().optional(),
});
export type TapeRetrieveArgs = z.input<typeof TapeRetrieveArgs>;

export type ElementKind = 'storage' | 'import-export' | 'data-transfer';

/** Where a cartridge is: an element of a library, or null for the shelf (outside every library). */
export interface Location {
  readonly library: string;
  readonly kind: ElementKind;
  /** SCSI element address. */
  readonly address: number;
  /** 0-based ordinal within its kind (drive 0, slot 0, ...). */
  readonly index: number;
}

export interface TapeInfo {
  readonly barcode: string;
  readonly media: string;
  readonly pool: string | null;
  readonly state: string;
  readonly bytesWritten: number;
  readonly capacityBytes: number;
  readonly worm: boolean;
  readonly writeProtected: boolean;
  readonly location: Location | null;
}

export interface TapeCreateResult { readonly created: TapeInfo[] }
export interface TapeListResult { readonly tapes: TapeInfo[] }
export interface TapeProtectResult {
  /** Every named cartridge as it is now. */
  readonly tapes: TapeInfo[];
  /** The ones whose switch moved (the others were already so). */
  readonly changed: string[];
  /** The switch moved but was not written to the object store (recover would not see it); null when it was. */
  readonly warning: string | null;
}

export interface SlotStatus {
  readonly address: number;
  readonly index: number;
  readonly barcode: string | null;
}

export interface DriveStatus extends SlotStatus {
  readonly lun: number;
  readonly serial: string;
}

export interface LibraryStatus {
  readonly name: string;
  readonly iqn: string;
  readonly changer: { readonly personality: string; readonly vendor: string; readonly product: string; readonly serial: string };
  readonly drive: { readonly personality: string };
  readonly drives: DriveStatus[];
  readonly slots: SlotStatus[];
  readonly importExport: SlotStatus[];
}

export interface LibraryStatusResult { readonly libraries: LibraryStatus[] }
export interface LibraryImportResult { readonly library: string; readonly barcode: string; readonly address: number }
export interface LibraryExportResult {
  readonly library: string;
  readonly barcode: string;
  /** The import/export slot it left (null when an interrupted archive was resumed). */
  readonly address: number | null;
  /** Where the cartridge went (absent when the gateway has no shelf). */
  readonly shelf?: ShelfStatus;
}

/**
 * A cartridge on the shelf. `archived*` count objects in the archive (export);
 * `restored*` readable objects, `copied*` objects back in the pool's storage
 * class, `restoring` restores still under way (retrieve).
 */
export interface ShelfStatus {
  readonly barcode: string;
  /** archiving | archived | retrieving | shelved (readable, outside every library) | in-library. */
  readonly phase: string;
  readonly state: string;
  /** storage-class | vault | none (a dir store: no classes). */
  readonly medium: string;
  readonly archiveClass: string | null;
  readonly objects: number;
  readonly bytes: number;
  readonly archived: number;
  readonly archivedBytes: number;
  /** Readable now: restored, in a class that needs no restore, or copied back. */
  readonly restored: number;
  readonly restoredBytes: number;
  /** Back in the pool's storage class. */
  readonly copied: number;
  readonly copiedBytes: number;
  /** Restores S3 is still working on. */
  readonly restoring: number;
  /** RestoreObject requests this pass issued. */
  readonly requested: number;
  /** This step's work is finished (archived, or readable again). */
  readonly complete: boolean;
}

export interface TapeRetrieveResult extends ShelfStatus {
  /** Where the cartridge is once placed (an import/export slot), else null. */
  readonly location: Location | null;
  /** Why it stays on the shelf although readable (no free import/export slot). */
  readonly message: string | null;
}

/** Every command: its argument schema and result type (the cdp ones in cdp-protocol.ts). */
export interface Commands extends CdpCommands, PointsCommands {
  'tape.create': { args: TapeCreateArgs; result: TapeCreateResult };
  'tape.list': { args: TapeListArgs; result: TapeListResult };
  'tape.protect': { args: TapeProtectArgs; result: TapeProtectResult };
  'library.status': { args: LibraryStatusArgs; result: LibraryStatusResult };
  'library.import': { args: LibraryImportArgs; result: LibraryImportResult };
  'library.export': { args: LibraryExportArgs; result: LibraryExportResult };
  'tape.archive': { args: TapeArchiveArgs; result: ShelfStatus };
  'tape.retrieve': { args: TapeRetrieveArgs; result: TapeRetrieveResult };
}
export type CommandName = keyof Commands;
/** The commands of the tape side (Operations). */
export type TapeCommandName = Exclude<CommandName, `cdp.${string}` | `catalog.${string}`>;

export interface Request { readonly id: number; readonly command: string; readonly args: unknown }
export type Response =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { readonly code: string; readonly message: string } };
