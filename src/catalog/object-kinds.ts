// What an object in the store is, from its key alone: who owns it (a
// cartridge, a CDP volume, a library, the catalog itself) and what kind of
// object it is. The one place that knows every key scheme the gateway writes
// (tapes/keys.ts, src/cdp/keys.ts, library state, shelf records, cartridge
// facts, catalog backups), so `store_objects` can be filled from the writes
// and from a listing alike. Keys are relative to the store's own prefix.

export const OwnerKind = { TAPE: 'tape', CDP: 'cdp', LIBRARY: 'library', CATALOG: 'catalog', UNKNOWN: 'unknown' } as const;
export type OwnerKind = (typeof OwnerKind)[keyof typeof OwnerKind];

export const ObjectKind = {
  TAPE_SEGMENT: 'tape-segment',
  TAPE_MANIFEST: 'tape-manifest',
  TAPE_FACTS: 'tape-facts',
  TAPE_SHELF: 'tape-shelf',
  LIBRARY_STATE: 'library-state',
  CDP_JOURNAL: 'cdp-journal',
  CDP_BASE_CHUNK: 'cdp-base-chunk',
  CDP_BASE_INDEX: 'cdp-base-index',
  CDP_BOOKMARK: 'cdp-bookmark',
  CDP_META: 'cdp-meta',
  CATALOG_BACKUP: 'catalog-backup',
  OTHER: 'other',
} as const;
export type ObjectKind = (typeof ObjectKind)[keyof typeof ObjectKind];

export interface ObjectOwner {
  readonly ownerKind: OwnerKind;
  /** Barcode, volume or library name; the catalog's own objects: "catalog"; unknown keys: their first segment. */
  readonly owner: string;
  readonly kind: ObjectKind;
}

const RULES: readonly { re: RegExp; ownerKind: OwnerKind; kind: ObjectKind }[] = [
  { re: /^tapes\/([^/]+)\/seg\/[0-9a-f]{16}-[0-9a-f]{8}\.seg$/, ownerKind: OwnerKind.TAPE, kind: ObjectKind.TAPE_SEGMENT },
  { re: /^tapes\/([^/]+)\/manifest\/[0-9a-f]{16}\.json$/, ownerKind: OwnerKind.TAPE, kind: ObjectKind.TAPE_MANIFEST },
  { re: /^tapes\/([^/]+)\/facts\/[0-9a-f]{16}\.json$/, ownerKind: OwnerKind.TAPE, kind: ObjectKind.TAPE_FACTS },
  { re: /^tapes\/([^/]+)\/shelf\/[0-9a-f]{16}\.json$/, ownerKind: OwnerKind.TAPE, kind: ObjectKind.TAPE_SHELF },
  { re: /^libraries\/([^/]+)\/state\/[0-9a-f]{16}\.json$/, ownerKind: OwnerKind.LIBRARY, kind: ObjectKind.LIBRARY_STATE },
  { re: /^cdp\/([^/]+)\/jnl\/[0-9a-f]{16}-[0-9a-f]{16}-[0-9a-f]{14}-[0-9a-f]{14}\.jnl$/, ownerKind: OwnerKind.CDP, kind: ObjectKind.CDP_JOURNAL },
  { re: /^cdp\/([^/]+)\/base\/[0-9a-f]{16}\/[0-9a-f]{8}\.img$/, ownerKind: OwnerKind.CDP, kind: ObjectKind.CDP_BASE_CHUNK },
  { re: /^cdp\/([^/]+)\/base\/[0-9a-f]{16}\/index\.json$/, ownerKind: OwnerKind.CDP, kind: ObjectKind.CDP_BASE_INDEX },
  { re: /^cdp\/([^/]+)\/mark\/[0-9a-f]{16}-[A-Za-z0-9._-]+\.json$/, ownerKind: OwnerKind.CDP, kind: ObjectKind.CDP_BOOKMARK },
  { re: /^cdp\/([^/]+)\/meta\/[0-9a-f]{16}\.json$/, ownerKind: OwnerKind.CDP, kind: ObjectKind.CDP_META },
];

const BACKUP = /^catalog\/[0-9a-f]{16}\.sqlite\.gz$/;

/** The owner and kind a key names; a key of no known scheme is `other`, owned by its first segment. */
export function classifyKey(key: string): ObjectOwner {
  for (const r of RULES) {
    const m = r.re.exec(key);
    if (m?.[1] !== undefined) return { ownerKind: r.ownerKind, owner: m[1], kind: r.kind };
  }
  if (BACKUP.test(key)) return { ownerKind: OwnerKind.CATALOG, owner: 'catalog', kind: ObjectKind.CATALOG_BACKUP };
  return { ownerKind: OwnerKind.UNKNOWN, owner: key.split('/')[0] ?? key, kind: ObjectKind.OTHER };
}
