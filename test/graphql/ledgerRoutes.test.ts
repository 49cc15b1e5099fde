import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateLedgerKeyPair,
  parseKeptCheckpoint,
  parseLedgerPublicKey,
  parseLedgerSigningKey,
  recordLedgerCheckpoint,
  verifyLedger,
} from '../../src/eventstore/index.js';
import { pgliteTarget, type TestDatabase } from '../support/databases.js';
import { startHarness, type Harness } from './harness.js';

const key = parseLedgerSigningKey(generateLedgerKeyPair().privateKeyPem, 'test key');

describe('GET /ledger/checkpoints', () => {
  let database: TestDatabase;
  let api: Harness;
  beforeAll(async () => {
    database = await pgliteTarget.open();
    api = await startHarness(database, { ledger: { publicKey: key.publicKey } });
  });
  afterAll(async () => {
    await api.close();
    await database.close();
  });

  it('serves the signed checkpoints newest first with the public key, as a file verify can check against', async () => {
    const url = new URL('/ledger/checkpoints', api.server.url);
    expect(await (await fetch(url)).json()).toEqual({
      publicKey: key.publicKey.pem,
      keyId: key.publicKey.keyId,
      checkpoints: [],
    });
    await api.store.append('served-run', [{ type: 'A', data: { n: 1 } }], 'no_stream', { actor: 'test' });
    await recordLedgerCheckpoint(database, api.store, key);
    await api.store.append('served-run', [{ type: 'A', data: { n: 2 } }], 1, { actor: 'test' });
    await recordLedgerCheckpoint(database, api.store, key);

    const response = await fetch(url);
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text) as { checkpoints: { treeSize: number }[] };
    expect(body.checkpoints.map((checkpoint) => checkpoint.treeSize)).toEqual([3, 1]);

    const kept = parseKeptCheckpoint(text, 'the answer');
    expect(kept.checkpoint.treeSize).toBe(3);
    const publicKey = parseLedgerPublicKey(kept.publicKeyPem!, 'the served key');
    expect(await verifyLedger(database, { publicKey, kept: kept.checkpoint })).toMatchObject({
      ok: true,
      checkpointsChecked: 2,
    });

    const one = (await (await fetch(`${url.href}?limit=1`)).json()) as { checkpoints: unknown[] };
    expect(one.checkpoints).toHaveLength(1);
    const refused = await fetch(`${url.href}?limit=0`);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
