/**
 * `tuneledger forget SUBJECT --reason TEXT`: beside a server holding the embedded data directory it goes through
 * the server's forgetSubject mutation; without one it opens the database itself and destroys the subject's key.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runForgetCommand } from '../../src/app/commands/forget.command.js';
import { loadConfig, type Config } from '../../src/app/config.js';
import { openConfiguredDatabase, startPlatform, type Platform } from '../../src/app/platform.js';
import { PostgresEventStore } from '../../src/eventstore/index.js';
import { loadMasterKey, SubjectKeys } from '../../src/privacy/index.js';
import { compileGenerationThread } from '../serving/support.js';

describe('tuneledger forget', () => {
  let config: Config;
  let platform: Platform | undefined;
  beforeAll(async () => {
    const { DATABASE_URL: _postgres, TUNELEDGER_TOKEN: _token, ...rest } = process.env;
    config = loadConfig({
      ...rest,
      TUNELEDGER_DATA_DIR: mkdtempSync(join(tmpdir(), 'tl-forget-')),
      PORT: '0',
      TUNELEDGER_WORKERS: 'none',
      LOG_LEVEL: 'silent',
    });
  });
  afterAll(async () => {
    await platform?.close();
  });

  async function forget(subject: string, reason: string) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runForgetCommand(
      subject,
      { reason },
      (text) => out.push(text),
      (text) => err.push(text),
      config,
    );
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  async function subjectEvents(): Promise<
    { streamId: string; type: string; actor: string; data: unknown }[]
  > {
    const database = await openConfiguredDatabase(config, 'test');
    try {
      const { events } = await new PostgresEventStore(database).readAll('', 10_000);
      return events
        .filter((event) => event.streamId.startsWith('subject-'))
        .map((event) => ({
          streamId: event.streamId,
          type: event.type,
          actor: event.metadata.actor,
          data: event.data,
        }));
    } finally {
      await database.close();
    }
  }

  it('goes through the running server, refuses a blank reason, and forgets in the database without one', async () => {
    platform = await startPlatform(config, {
      logger: pino({ level: 'silent' }),
      serving: { pool: { threads: 1, threadEntry: compileGenerationThread() } },
    });
    const forwarded = await forget('alice', 'asked to be forgotten (ticket 12)');
    expect(forwarded.stderr).toBe('');
    expect(forwarded.code).toBe(0);
    expect(JSON.parse(forwarded.stdout)).toMatchObject({
      subjectId: 'alice',
      events: ['SubjectForgotten'],
      recordedBy: platform.graphql.url,
    });
    const refused = await forget('carol', '   ');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/forget carol: .*reason/);
    await platform.close();
    platform = undefined;

    // Without a server: a subject with a data key loses it.
    const database = await openConfiguredDatabase(config, 'test');
    const keys = new SubjectKeys(database.db, loadMasterKey(config.masterKey, config.dataDir));
    await keys.keysForWriting(['bob']);
    await database.close();
    const direct = await forget('bob', 'retention period over');
    expect(direct.code).toBe(0);
    expect(JSON.parse(direct.stdout)).toMatchObject({
      subjectId: 'bob',
      events: ['SubjectForgotten'],
      keyDestroyed: true,
    });
    const reopened = await openConfiguredDatabase(config, 'test');
    const after = new SubjectKeys(reopened.db, loadMasterKey(config.masterKey, config.dataDir));
    expect((await after.existingKeys(['bob'])).size).toBe(0);
    await reopened.close();

    const recorded = await subjectEvents();
    expect(recorded.map((event) => [event.type, (event.data as { subjectId: string }).subjectId])).toEqual([
      ['SubjectForgotten', 'alice'],
      ['SubjectForgotten', 'bob'],
    ]);
    expect(recorded[0]!.data).toMatchObject({ reason: 'asked to be forgotten (ticket 12)' });
    expect(recorded[0]!.actor).toBe('local');
    expect(recorded[1]!.actor).toMatch(/^cli:/);
  }, 600_000);
});
