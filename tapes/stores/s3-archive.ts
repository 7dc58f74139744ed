// What the archive shelf needs from S3 beyond the ObjectStore verbs: move an
// object to another storage class in place, ask for a temporary restore of an
// archived (GLACIER / DEEP_ARCHIVE) object, and read both states back.
//
// Ceph RGW 16: storage classes are only other pools (CopyObject works and HEAD
// and ListObjectsV2 report the class); objects stay readable. RestoreObject
// answers 501 NotImplemented (for any key, even a missing one): restore()
// reports it as 'unsupported', which callers treat as "readable already".
// A CopyObject onto itself that changes nothing is refused with 400
// InvalidRequest on both AWS and RGW: skip objects already in the class.

import { CopyObjectCommand, HeadObjectCommand, ListObjectsV2Command, RestoreObjectCommand, type StorageClass, type Tier } from '@aws-sdk/client-s3';
import { StoreErrorCode } from '../errors.ts';
import { mapS3Error } from './s3-errors.ts';
import type { S3ObjectStore } from './s3-store.ts';

export interface ArchiveStatus {
  /** STANDARD when S3 does not say. */
  readonly storageClass: string;
  /** Restore state of an archived object: absent when none was asked for. */
  readonly restore?: { readonly ongoing: boolean; readonly expires?: Date };
}

/**
 * Rewrite an object onto `storageClass` with its metadata (CopyObject onto
 * itself). Single-request copy: objects up to 5 GiB, far above a segment.
 * On a versioned bucket this leaves the old version behind as noncurrent.
 */
export async function setStorageClass(store: S3ObjectStore, key: string, storageClass: string): Promise<void> {
  const s3Key = store.objectKey(key);
  const put = store.putParams(s3Key);
  try {
    await store.client.send(new CopyObjectCommand({
      ...put,
      StorageClass: storageClass as StorageClass,
      CopySource: `${store.bucket}/${s3Key.split('/').map(encodeURIComponent).join('/')}`,
      MetadataDirective: 'COPY',
    }));
  } catch (e) {
    throw mapS3Error(e, 'copy (storage class)', key, store.bucket);
  }
}

/**
 * Classes whose objects cannot be read until restored (S3 answers GET with
 * 403 InvalidObjectState). GLACIER_IR and the rest are readable at once.
 */
export const NEEDS_RESTORE: ReadonlySet<string> = new Set(['GLACIER', 'DEEP_ARCHIVE']);

export interface ClassedObject {
  /** Store key (without the store's prefix). */
  readonly key: string;
  readonly size: number;
  /** STANDARD when S3 does not say. */
  readonly storageClass: string;
}

/** Every object under `prefix` with its storage class (ListObjectsV2 reports it: no HEAD per object). */
export async function* listWithClass(store: S3ObjectStore, prefix: string): AsyncGenerator<ClassedObject> {
  let token: string | undefined;
  const root = store.prefix;
  do {
    let r;
    try {
      r = await store.client.send(new ListObjectsV2Command({
        Bucket: store.bucket, Prefix: root + prefix, ...(token !== undefined && { ContinuationToken: token }),
      }));
    } catch (e) {
      throw mapS3Error(e, 'list (archive)', prefix, store.bucket);
    }
    for (const c of r.Contents ?? []) {
      if (c.Key === undefined) continue;
      yield { key: c.Key.slice(root.length), size: c.Size ?? 0, storageClass: c.StorageClass ?? 'STANDARD' };
    }
    token = r.IsTruncated === true ? r.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/** Storage class and restore status; undefined when the key does not exist. */
export async function archiveStatus(store: S3ObjectStore, key: string): Promise<ArchiveStatus | undefined> {
  try {
    const r = await store.client.send(new HeadObjectCommand({ Bucket: store.bucket, Key: store.objectKey(key) }));
    const restore = parseRestoreHeader(r.Restore);
    return { storageClass: r.StorageClass ?? 'STANDARD', ...(restore && { restore }) };
  } catch (e) {
    const m = mapS3Error(e, 'head (archive)', key, store.bucket);
    if (m.code === StoreErrorCode.NOT_FOUND) return undefined;
    throw m;
  }
}

/** x-amz-restore: `ongoing-request="false", expiry-date="Fri, 23 Dec 2012 00:00:00 GMT"`. */
export function parseRestoreHeader(h: string | undefined): ArchiveStatus['restore'] {
  if (h === undefined || h === '') return undefined;
  const ongoing = /ongoing-request="true"/i.test(h);
  const expiry = /expiry-date="([^"]+)"/i.exec(h)?.[1];
  const expires = expiry === undefined ? undefined : new Date(expiry);
  return { ongoing, ...(expires !== undefined && !Number.isNaN(expires.getTime()) && { expires }) };
}

export type RestoreAnswer = 'started' | 'in-progress' | 'not-archived' | 'unsupported';

/**
 * Ask S3 to make an archived object readable for `days`. Returns 'started',
 * 'in-progress' (409 RestoreAlreadyInProgress), 'not-archived' (the object
 * is in a class that needs no restore: 403 InvalidObjectState on AWS) or
 * 'unsupported' (501 NotImplemented: Ceph RGW 16, whose classes are all
 * readable).
 */
export async function restore(store: S3ObjectStore, key: string, days: number, tier: Tier = 'Bulk'): Promise<RestoreAnswer> {
  try {
    await store.client.send(new RestoreObjectCommand({
      Bucket: store.bucket,
      Key: store.objectKey(key),
      RestoreRequest: { Days: days, GlacierJobParameters: { Tier: tier } },
    }));
    return 'started';
  } catch (e) {
    const name = (e as { name?: string }).name;
    if (name === 'RestoreAlreadyInProgress') return 'in-progress';
    if (name === 'InvalidObjectState') return 'not-archived';
    if (name === 'NotImplemented' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 501) return 'unsupported';
    throw mapS3Error(e, 'restore', key, store.bucket);
  }
}
