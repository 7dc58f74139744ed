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

export const LibraryStatusArgs = z.strictObject({ library: z.string().optional() });
export type LibraryStatusArgs = z.input<typeof LibraryStatusArgs>;

export const LibraryImportArgs = z.strictObject({ library: z.string(), barcode: z.string(), slot: z.number().int().optional() });
export type LibraryImportArgs = z.input<typeof LibraryImportArgs>;

/** `slot` is an element address or a barcode. */
export const LibraryExportArgs = z.strictObject({ library: z.string(), slot: z.union([z.number().int(), z.string()]) });
export type LibraryExportArgs = z.input<typeof LibraryExportArgs>;

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
export interface LibraryExportResult { readonly library: string; readonly barcode: string; readonly address: number }

/** Every command: its argument schema and result type. */
export interface Commands {
  'tape.create': { args: TapeCreateArgs; result: TapeCreateResult };
  'tape.list': { args: TapeListArgs; result: TapeListResult };
  'library.status': { args: LibraryStatusArgs; result: LibraryStatusResult };
  'library.import': { args: LibraryImportArgs; result: LibraryImportResult };
  'library.export': { args: LibraryExportArgs; result: LibraryExportResult };
}
export type CommandName = keyof Commands;

export interface Request { readonly id: number; readonly command: string; readonly args: unknown }
export type Response =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { readonly code: string; readonly message: string } };
