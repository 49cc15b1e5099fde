/**
 * `npm run bench -- artifacts [--mb 256] [--runs 3]`: moving one artifact of --mb MiB through the platform
 * on loopback, against a plain file copy in the same run:
 * - copy_file: fs.copyFile of the file (the baseline), and stream_copy: read stream piped to a write stream;
 * - sha256: hashing the file on one core (read 1 MiB at a time), what any verified move is bound by;
 * - api_upload / api_download: PUT and GET /artifacts/<sha256> of a GraphQL server on the local store
 *   (PGlite, local single-user mode), the download written to disk;
 * - s3_upload / s3_download: PUT through the API into an S3 store (s3rver on loopback, in this process), and
 *   GET redirected to a presigned URL that s3rver serves;
 * - s3_presigned_upload: POST /artifacts/<sha256>/uploads, the file PUT to the presigned URL it answers (to
 *   s3rver), then POST .../complete, which verifies the sha256 and places the object.
 * The clients are curl in a child process, streaming from and to disk as a real client does.
 * Memory: the resident set is sampled every 10 ms during each phase; `<phase>_rss_growth_mb` is its peak minus
 * its size when the phase began (the embedded database alone holds hundreds of MiB, so the process's peak RSS
 * says little). Flat memory means a growth far below the file's size.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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

const run = promisify(execFile);

/**
 * A client in its own process, as a real one is: curl streams the file from disk or to disk, so its memory
 * is not this process's, and what the phases' RSS growth measures is the server's (API and s3rver).
 */
async function curl(args: string[]): Promise<string> {
  const { stdout } = await run('curl', ['-sS', '--fail-with-body', '-H', 'Expect:', ...args], {
    maxBuffer: 1024 * 1024,
  });
  return stdout;
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

  const octets = ['-H', 'content-type: application/octet-stream'];
  const upload = async (server: { url: string }) => {
    await curl(['-X', 'PUT', '-T', source, ...octets, '-o', '/dev/null', url(server)]);
  };
  const download = async (server: { url: string }) => {
    await curl(['-L', '-o', join(dir, 'downloaded.bin'), url(server)]);
  };
  /** Asks the API for an upload, PUTs the file to the presigned URL it hands out, and completes it. */
  const presignedUpload = async (server: { url: string }) => {
    const plan = JSON.parse(
      await curl([
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '-d',
        JSON.stringify({ byteSize: bytes, mediaType: 'application/octet-stream' }),
        `${url(server)}/uploads`,
      ]),
    ) as { how: string; url: string; completeUrl: string };
    if (plan.how !== 'put_to_url') throw new Error(`the API answered ${plan.how}, not a presigned URL`);
    await curl(['-X', 'PUT', '-T', source, ...octets, '-o', '/dev/null', plan.url]);
    await curl(['-X', 'POST', '-o', '/dev/null', new URL(plan.completeUrl, server.url).href]);
  };
  const hashFile = async () => {
    const hasher = createHash('sha256');
    for await (const chunk of createReadStream(source, { highWaterMark: 1024 * 1024 }))
      hasher.update(chunk as Buffer);
    if (hasher.digest('hex') !== hash) throw new Error('the file changed under the bench');
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
      await forget(s3Store);
      await measure('s3_presigned_upload', () => presignedUpload(s3Api));
      await measure('sha256', hashFile);
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
  const moves = ['api_upload', 'api_download', 's3_upload', 's3_download', 's3_presigned_upload'];
  const goals = moves.map(
    (key) =>
      `${key} >= 0.5x copy_file: ${ratio(key) >= 0.5 ? 'yes' : 'no'} (${round(ratio(key))}x; ${round((ratio(key) * median('copy_file')) / median('stream_copy'))}x of stream_copy)`,
  );
  const growth = Math.max(...moves.map((key) => rss[key]!));
  goals.push(
    `memory flat (RSS growth < 25% of the artifact): ${growth < mib / 4 ? 'yes' : 'no'} (${round(growth)} MiB for ${mib} MiB)`,
  );
  return { name: 'artifacts', backend: 'loopback', inputs: { mib, runs }, metrics, goals };
}
