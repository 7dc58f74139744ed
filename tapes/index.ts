// Public surface of the tapes layer: what wiring and the catalog import.

export { Cartridge, type CartridgeMedium, type CartridgeOptions, type MediumAttributes, type MediumPosition, type ReadOutcome, type SpaceOutcome } from './cartridge.ts';
export { CartridgePool, type CartridgeDirectory, type CartridgePoolOptions, type CartridgeSpec } from './cartridge-pool.ts';
export { LTO_MEDIA, defaultEarlyWarning, effectiveCapacity, isValidBarcode, parseBarcode, type LtoMedia, type ParsedBarcode } from './barcode.ts';
export { BarcodeError, CartridgeError, CartridgeErrorCode, MediumIntegrityError, StoreError, StoreErrorCode, TapesError } from './errors.ts';
export { TapeKeys } from './keys.ts';
export { decodeManifest, type Manifest, type ManifestSegment, type ManifestSink, type MediumInfo } from './manifest.ts';
export { listAll, type ByteRange, type ObjectBody, type ObjectInfo, type ObjectPage, type ObjectStore, type PutOptions } from './object-store.ts';
export type { PipelineOptions } from './segment-pipeline.ts';
export { SegmentReader, type ReadCacheOptions } from './segment-reader.ts';
export { SegmentUploader, type UploaderOptions } from './uploader.ts';
export { DirObjectStore, type DirObjectStoreOptions } from './stores/dir-store.ts';
export { MemoryObjectStore } from './stores/memory-store.ts';
export { readLatestManifest, readManifest, type ManifestFound, type ManifestReadOptions } from './manifest-read.ts';
export type { ManifestAuth } from './manifest-auth.ts';
