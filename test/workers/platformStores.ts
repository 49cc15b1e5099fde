import { join } from 'node:path';
import { LocalArtifactStore, S3ArtifactStore, type ArtifactStore } from '../../src/data/index.js';
import { startS3Server } from '../support/s3Server.js';

/** An artifact store for the platform under test, opened in a test's directory. */
export interface PlatformStore {
  readonly name: string;
  open(root: string): Promise<{ artifacts: ArtifactStore; close(): Promise<void> }>;
}

/** The API-only worker tests run once per store: a local directory, and S3 (s3rver on loopback, the real SDK). */
export const platformStores: readonly PlatformStore[] = [
  {
    name: 'local store',
    open: async (root) => ({
      artifacts: new LocalArtifactStore(join(root, 'platform-artifacts')),
      close: async () => {},
    }),
  },
  {
    name: 'S3 store',
    open: async (root) => {
      const s3 = await startS3Server(join(root, 's3'));
      return {
        artifacts: new S3ArtifactStore({ client: s3.client, bucket: s3.bucket, prefix: 'tl/' }),
        close: () => s3.close(),
      };
    },
  },
];
