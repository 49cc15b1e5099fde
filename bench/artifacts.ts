/**
 * `npm run bench -- artifacts [--mb 256] [--runs 3]`: moving one artifact of --mb MiB through the platform
 * on loopback, against a plain file copy in the same run:
 * - copy_file: fs.copyFile of the file (the baseline), and stream_copy: read stream piped to a write stream;
 * - api_upload / api_download: PUT and GET /artifacts/<sha256> of a GraphQL server on the local store
 *   (PGlite, local single-user mode), the download written to disk;
 * - s3_upload / s3_download: PUT through the API into an S3 store (s3rver on loopback, in this process), and
 *   GET redirected to a presigned URL that s3rver serves.
 * Memory: the resident set is sampled every 10 ms during each phase; `<phase>_rss_growth_mb` is its peak minus
 * its size when the phase began (the embedded database alone holds hundreds of MiB, so the process's peak RSS
 * says little). Flat memory means a growth far below the file's size.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pino } from 'pino';
import { LocalArtifactStore, S3ArtifactStore, type ArtifactStore } from '../src/data/index.js';
import { migrateToLatest } from '../src/app/migrate.js';
import { openDatabase, PostgresEventStore } from '../src/eventstore/index.js';
import { createGraphqlServer } from '../src/graphql/index.js';
import { startS3Server } from '../test/support/s3Server.js';
import { round, withSpread, type BenchResult } from './lib.js';

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} takes a positive number`);
  return value;
}

const rssMb = () => process.memoryUsage.rss() / (1024 * 1024);

/** Runs `action` while sampling the resident set; returns its seconds and the peak growth in MiB. */
async function sampled(action: () => Promise<void>): Promise<{ seconds: number; growthMb: number }> {
  const before = rssMb();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 10);
  try {
    const seconds = await timed(action);
    return { seconds, growthMb: Math.max(peak, rssMb()) - before };
  } finally {
    clearInterval(sampler);
  }
}

/** The file as a request body read 1 MiB at a time on demand (Node 20's Readable.toWeb reads ahead without limit). */
function fileBody(path: string): ReadableStream<Uint8Array> {
  let handle: FileHandle | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      handle ??= await open(path, 'r');
      const buffer = Buffer.allocUnsafe(1024 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) {
        await handle.close();
        controller.close();
      } else {
        controller.enqueue(buffer.subarray(0, bytesRead));
      }
    },
    async cancel() {
      await handle?.close();
    },
  });
}

async function timed(action: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export default async function artifactsBench(args: string[]): Promise<BenchResult> {
  const mib = option(args, '--mb', 256);
  const runs = option(args, '--runs', 3);
  const bytes = Math.round(mib * 1024 * 1024);
  const dir = await mkdtemp(join(tmpdir(), 'tl-bench-artifacts-'));
  const source = join(dir, 'source.bin');
  const hasher = createHash('sha256');
  const file = await open(source, 'w');
  for (let written = 0; written < bytes;) {
    const chunk = randomBytes(Math.min(8 * 1024 * 1024, bytes - written));
    hasher.update(chunk);
    await file.write(chunk);
    written += chunk.length;
  }
  await file.close();
  const hash = hasher.digest('hex');

  const database = await openDatabase({ dataDir: 'memory://' });
  await migrateToLatest(database.db);
  const s3 = await startS3Server(join(dir, 's3'));
  const serve = async (artifacts: ArtifactStore) =>
    createGraphqlServer({
      store: new PostgresEventStore(database),
      db: database.db,
      artifacts,
      port: 0,
      logger: pino({ level: 'silent' }),
      rateLimit: false,
    });
  const local = new LocalArtifactStore(join(dir, 'store'));
  const localApi = await serve(local);
  const s3Store = new S3ArtifactStore({ client: s3.client, bucket: s3.bucket, prefix: 'bench/' });
  const s3Api = await serve(s3Store);
  const url = (server: { url: string }) => new URL(`/artifacts/${hash}`, server.url).href;

  const upload = async (server: { url: string }) => {
    const answer = await fetch(url(server), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes) },
      body: fileBody(source),
      duplex: 'half',
    } as RequestInit);
    if (answer.status !== 201) throw new Error(`upload answered ${answer.status}: ${await answer.text()}`);
  };
  const download = async (server: { url: string }) => {
    const answer = await fetch(url(server));
    if (answer.status !== 200 || !answer.body) throw new Error(`download answered ${answer.status}`);
    await pipeline(Readable.fromWeb(answer.body as never), createWriteStream(join(dir, 'downloaded.bin')));
  };
  const forget = async (store: ArtifactStore) => {
    if (store instanceof LocalArtifactStore) await rm(store.pathOf(hash), { force: true });
    else await rm(join(dir, 's3', s3.bucket, 'bench'), { recursive: true, force: true });
  };

  const samples: Record<string, number[]> = {};
  const rss: Record<string, number> = {};
  const measure = async (key: string, action: () => Promise<void>) => {
    const { seconds, growthMb } = await sampled(action);
    (samples[key] ??= []).push(mib / seconds);
    rss[key] = Math.max(rss[key] ?? 0, growthMb);
  };
  try {
    for (let run = 0; run < runs; run++) {
      await measure('copy_file', () => copyFile(source, join(dir, 'copy.bin')));
      await measure('stream_copy', () =>
        pipeline(createReadStream(source), createWriteStream(join(dir, 'copy.bin'))),
      );
      await forget(local);
      await measure('api_upload', () => upload(localApi));
      await measure('api_download', () => download(localApi));
      await forget(s3Store);
      await measure('s3_upload', () => upload(s3Api));
      await measure('s3_download', () => download(s3Api));
    }
  } finally {
    await localApi.close();
    await s3Api.close();
    await s3.close();
    await database.close();
    await rm(dir, { recursive: true, force: true });
  }

  const median = (key: string) =>
    [...samples[key]!].sort((a, b) => a - b)[Math.floor(samples[key]!.length / 2)]!;
  const metrics: Record<string, number> = {};
  for (const key of Object.keys(samples)) {
    Object.assign(metrics, withSpread(`${key}_mb_per_s`, samples[key]!));
    metrics[`${key}_rss_growth_mb`] = round(rss[key]!);
  }
  metrics.peak_rss_mb = round(process.resourceUsage().maxRSS / 1024);
  const ratio = (key: string) => median(key) / median('copy_file');
  const goals = ['api_upload', 'api_download', 's3_upload', 's3_download'].map(
    (key) =>
      `${key} >= 0.5x copy_file: ${ratio(key) >= 0.5 ? 'yes' : 'no'} (${round(ratio(key))}x; ${round((ratio(key) * median('copy_file')) / median('stream_copy'))}x of stream_copy)`,
  );
  const growth = Math.max(
    ...['api_upload', 'api_download', 's3_upload', 's3_download'].map((key) => rss[key]!),
  );
  goals.push(
    `memory flat (RSS growth < 25% of the artifact): ${growth < mib / 4 ? 'yes' : 'no'} (${round(growth)} MiB for ${mib} MiB)`,
  );
  return { name: 'artifacts', backend: 'loopback', inputs: { mib, runs }, metrics, goals };
}
