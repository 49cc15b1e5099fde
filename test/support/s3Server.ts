import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface S3TestServer {
  readonly endpoint: string;
  readonly bucket: string;
  readonly directory: string;
  /** A real SDK client for the server (path-style, s3rver's fixed credentials). */
  readonly client: S3Client;
  close(): Promise<void>;
}

/** A real S3-protocol server (s3rver) on loopback, keeping its objects in `directory`, with one bucket. */
export async function startS3Server(directory: string, bucket = 'tuneledger-test'): Promise<S3TestServer> {
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    endpoint,
    bucket,
    directory,
    client,
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}
