import { S3Client } from '@aws-sdk/client-s3';
import type { ArtifactStore } from './artifactStore.js';
import { LocalArtifactStore } from './localArtifactStore.js';
import { S3ArtifactStore } from './s3ArtifactStore.js';

/** Where artifacts live: a local directory, or an S3-compatible bucket. */
export type ArtifactLocation =
  | { readonly kind: 'directory'; readonly path: string }
  | {
      readonly kind: 's3';
      readonly bucket: string;
      /** "" or a prefix ending in "/". */
      readonly prefix: string;
      /** An S3-compatible server's URL (MinIO, R2, ...); unset for AWS itself. */
      readonly endpoint?: string;
      /** Path-style addressing (http://host/bucket/key), which most S3-compatible servers need. */
      readonly forcePathStyle: boolean;
      /** AWS_REGION when set; S3-compatible servers mostly ignore it. */
      readonly region?: string;
    };

/**
 * Parses `s3://bucket/prefix` (TUNELEDGER_ARTIFACTS_URL); returns the bucket and a prefix ending in "/"
 * (or empty). Throws a message naming the URL's problem.
 */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!match) throw new Error(`"${url}" is not an S3 URL: write s3://bucket or s3://bucket/prefix`);
  const bucket = match[1]!;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new Error(
      `"${bucket}" is not an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit`,
    );
  }
  const rest = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket, prefix: rest === '' ? '' : `${rest}/` };
}

/** The store at a location; S3 credentials come from the AWS SDK's standard chain (AWS_ACCESS_KEY_ID, ...). */
export function artifactStoreFor(location: ArtifactLocation): ArtifactStore {
  if (location.kind === 'directory') return new LocalArtifactStore(location.path);
  const client = new S3Client({
    region: location.region ?? 'us-east-1',
    forcePathStyle: location.forcePathStyle,
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
  });
  return new S3ArtifactStore({ client, bucket: location.bucket, prefix: location.prefix });
}
