// Opens the object store a `store` URL names: file://DIR (the embedded
// default) or s3://BUCKET/PREFIX (the AWS SDK's environment supplies the
// endpoint, region and credentials; see tapes/stores/s3-config.ts).
import type { ObjectStore } from '../../tapes/object-store.ts';
import { DirObjectStore } from '../../tapes/stores/dir-store.ts';
import { S3ObjectStore } from '../../tapes/stores/s3-store.ts';
import { ConfigError } from '../errors.ts';

export interface OpenedStore {
  readonly store: ObjectStore;
  close(): Promise<void>;
}

export async function openStore(url: string): Promise<OpenedStore> {
  if (url.startsWith('file://')) {
    return { store: new DirObjectStore({ root: url.slice('file://'.length) }), close: async () => undefined };
  }
  if (url.startsWith('s3://')) {
    const s3 = S3ObjectStore.fromUrl(url);
    try {
      await s3.check();
    } catch (e) {
      throw new ConfigError('store', `${url}: ${(e as Error).message}`);
    }
    return { store: s3, close: async () => s3.close() };
  }
  throw new ConfigError('store', `${url}: use file://DIR or s3://BUCKET/PREFIX`);
}
