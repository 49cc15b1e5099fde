import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLifecycle } from '../../../bench/projections.js';
import {
  eventHash,
  generateLedgerKeyPair,
  parseLedgerSigningKey,
  recordLedgerCheckpoint,
} from '../../../src/eventstore/index.js';
import type { ProjectionRunner } from '../../../src/projections/index.js';
import { pgliteTarget, type TestDatabase } from '../../support/databases.js';
import { projectedLifecycle } from '../../support/lifecycle.js';
import { startHarness, type Harness } from '../harness.js';

const key = parseLedgerSigningKey(generateLedgerKeyPair().privateKeyPem, 'test key');

interface CitedEvent {
  streamId: string;
  streamVersion: number;
  eventId: string;
  type: string;
  actor: string;
  recordedAt: string;
  data: unknown;
  proof: {
    schemaVersion: number;
    correlationId: string;
    causationId: string | null;
    previousHash: string | null;
    hash: string;
    storedData?: unknown;
    inclusion: { leafIndex: number; treeSize: number; auditPath: string[] } | null;
  };
}
interface ReportJson {
  datasetRevisions: CitedEvent[];
  runs: { events: CitedEvent[] }[];
  evaluations: { events: CitedEvent[] }[];
  registry: CitedEvent[];
  deployments: { events: CitedEvent[] }[];
  ledger: {
    checkpoint: { treeSize: number; rootHash: string; timestamp: string; keyId: string; signature: string };
    eventsCited: number;
    eventsProven: number;
  };
}

/**
 * What an outside auditor runs: only the report's JSON, the ledger's public key and node:crypto, written from
 * the documents (docs/eventstore.md, RFC 9162), none of our code. Returns what does not hold.
 */
function audit(report: ReportJson, publicKeyPem: string): string[] {
  const problems: string[] = [];
  const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();
  const canonical = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
    if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      return `{${Object.keys(record)
        .sort()
        .map((name) => `${JSON.stringify(name)}:${canonical(record[name])}`)
        .join(',')}}`;
    }
    return JSON.stringify(value);
  };
  const { checkpoint } = report.ledger;
  const signed =
    `tuneledger ledger checkpoint v1\ntree size ${checkpoint.treeSize}\nroot ${checkpoint.rootHash}\n` +
    `timestamp ${checkpoint.timestamp}\nkey ${checkpoint.keyId}\n`;
  if (
    !verifySignature(
      null,
      Buffer.from(signed),
      createPublicKey(publicKeyPem),
      Buffer.from(checkpoint.signature, 'base64'),
    )
  )
    problems.push('the checkpoint signature does not verify');
  const cited = [
    ...report.datasetRevisions,
    ...report.runs.flatMap((run) => run.events),
    ...report.evaluations.flatMap((evaluation) => evaluation.events),
    ...report.registry,
    ...report.deployments.flatMap((deployment) => deployment.events),
  ];
  for (const event of cited) {
    const name = `${event.streamId} version ${event.streamVersion}`;
    const hashed = canonical({
      actor: event.actor,
      causationId: event.proof.causationId,
      correlationId: event.proof.correlationId,
      data: 'storedData' in event.proof ? event.proof.storedData : event.data,
      eventId: event.eventId,
      previousHash: event.proof.previousHash,
      recordedAt: event.recordedAt,
      schemaVersion: event.proof.schemaVersion,
      streamId: event.streamId,
      streamVersion: event.streamVersion,
      type: event.type,
    });
    if (sha256(hashed).toString('hex') !== event.proof.hash) {
      problems.push(`${name}: its content does not hash to its hash`);
      continue;
    }
    const inclusion = event.proof.inclusion;
    if (!inclusion || inclusion.treeSize !== checkpoint.treeSize) {
      problems.push(`${name}: no inclusion proof against the checkpoint`);
      continue;
    }
    // RFC 9162 2.1.3.2
    let fn = inclusion.leafIndex;
    let sn = inclusion.treeSize - 1;
    let r = sha256(Buffer.concat([Buffer.from([0]), Buffer.from(event.proof.hash, 'hex')]));
    for (const hex of inclusion.auditPath) {
      const p = Buffer.from(hex, 'hex');
      if (sn === 0) break;
      if (fn % 2 === 1 || fn === sn) {
        r = sha256(Buffer.concat([Buffer.from([1]), p, r]));
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        r = sha256(Buffer.concat([Buffer.from([1]), r, p]));
      }
      fn >>= 1;
      sn >>= 1;
    }
    if (sn !== 0 || r.toString('hex') !== checkpoint.rootHash)
      problems.push(`${name}: its inclusion proof does not lead to the signed root`);
  }
  return problems;
}

describe('audit reports carry inclusion proofs an outside auditor can check', () => {
  let database: TestDatabase;
  let api: Harness;
  let runner: ProjectionRunner;
  let version: number;

  beforeAll(async () => {
    database = await pgliteTarget.open();
    api = await startHarness(database, { ledger: { publicKey: key.publicKey } });
    runner = await projectedLifecycle(
      database,
      api.store,
      generateLifecycle({ events: 400, progressPerRun: 10 }),
    );
    const registered = (await api.store.readAll('', 100_000)).events.find(
      (event) => event.type === 'ModelVersionRegistered',
    )!;
    version = (registered.data as { version: number }).version;
  });
  afterAll(async () => {
    await runner?.stop();
    await api?.close();
    await database?.close();
  });

  const restReport = async (): Promise<ReportJson> => {
    const response = await fetch(api.server.url.replace('/graphql', `/reports/models/llama-med/${version}`));
    expect(response.status).toBe(200);
    return (await response.json()) as ReportJson;
  };

  it('proves every cited event against the signed checkpoint, over REST and GraphQL, and fails on an altered one', async () => {
    await recordLedgerCheckpoint(database, api.store, key);
    const report = await restReport();
    expect(report.ledger.eventsCited).toBeGreaterThan(5);
    expect(report.ledger.eventsProven).toBe(report.ledger.eventsCited);
    expect(audit(report, key.publicKey.pem)).toEqual([]);

    const graphql = await api.request<{ auditReport: { report: ReportJson } }>(
      `{ auditReport(modelName: "llama-med", version: ${version}) { report } }`,
    );
    expect(graphql.errors).toBeUndefined();
    expect(audit(graphql.data!.auditReport.report, key.publicKey.pem)).toEqual([]);

    // The report's copy of an event altered: its hash no longer matches.
    const altered = structuredClone(report);
    const target = altered.registry[0]!;
    (target.data as Record<string, unknown>).version = 99;
    expect(audit(altered, key.publicKey.pem)).toEqual([
      `${target.streamId} version ${target.streamVersion}: its content does not hash to its hash`,
    ]);
    // Another key's checkpoint is refused.
    const other = parseLedgerSigningKey(generateLedgerKeyPair().privateKeyPem, 'other key');
    expect(audit(report, other.publicKey.pem)).toContain('the checkpoint signature does not verify');
  });

  it('gives a re-hashed event in the database no proof against the signed root', async () => {
    await recordLedgerCheckpoint(database, api.store, key);
    const before = await restReport();
    const target = before.registry[0]!;
    const data = { ...(target.data as Record<string, unknown>), note: 'rewritten' };
    const hash = eventHash({
      eventId: target.eventId,
      streamId: target.streamId,
      streamVersion: target.streamVersion,
      type: target.type,
      schemaVersion: target.proof.schemaVersion,
      data,
      actor: target.actor,
      correlationId: target.proof.correlationId,
      causationId: target.proof.causationId,
      recordedAt: target.recordedAt,
      previousHash: target.proof.previousHash,
    });
    await database.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await sql`UPDATE events SET data = ${JSON.stringify(data)}::jsonb, hash = ${hash} WHERE event_id = ${target.eventId}`.execute(
        trx,
      );
    });
    const after = await restReport();
    const rewritten = after.registry.find((event) => event.eventId === target.eventId)!;
    expect(rewritten.proof.hash).toBe(hash);
    expect(rewritten.proof.inclusion).toBeNull();
    expect(audit(after, key.publicKey.pem)).toEqual([
      `${target.streamId} version ${target.streamVersion}: no inclusion proof against the checkpoint`,
    ]);
  });
});
