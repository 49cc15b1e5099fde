import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../../src/eventstore/index.js';

describe('the PGlite dialect (one connection, mutex-locked)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ dataDir: 'memory://' });
    await sql`CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)`.execute(database.db);
    await sql`INSERT INTO counter VALUES (1, 0)`.execute(database.db);
  });
  afterAll(() => database.close());

  it('keeps concurrent transactions apart: no lost read-modify-write', async () => {
    const increment = () =>
      database.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ n: number }>`SELECT n FROM counter WHERE id = 1`.execute(trx);
        await new Promise((resolve) => setTimeout(resolve, 1));
        await sql`UPDATE counter SET n = ${rows[0]!.n + 1} WHERE id = 1`.execute(trx);
      });
    // Plain queries issued meanwhile must wait for the transaction, not run inside it.
    const outside = Array.from({ length: 20 }, () => sql`SELECT 1`.execute(database.db));
    await Promise.all([...Array.from({ length: 40 }, increment), ...outside]);
    const { rows } = await sql<{ n: number }>`SELECT n FROM counter WHERE id = 1`.execute(database.db);
    expect(rows[0]!.n).toBe(40);
  });

  it('rolls back a failed transaction and a savepoint inside one', async () => {
    await expect(
      database.db.transaction().execute(async (trx) => {
        await sql`UPDATE counter SET n = -1 WHERE id = 1`.execute(trx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const trx = await database.db.startTransaction().execute();
    await sql`UPDATE counter SET n = 100 WHERE id = 1`.execute(trx);
    const savepoint = await trx.savepoint('inner').execute();
    await sql`UPDATE counter SET n = 200 WHERE id = 1`.execute(savepoint);
    await savepoint.rollbackToSavepoint('inner').execute();
    await savepoint.commit().execute();
    const { rows } = await sql<{ n: number }>`SELECT n FROM counter WHERE id = 1`.execute(database.db);
    expect(rows[0]!.n).toBe(100);
  });

  it('reports affected rows like pg does', async () => {
    const result = await database.db
      .updateTable('counter')
      .set({ n: 5 })
      .where('id', '=', 1)
      .executeTakeFirst();
    expect(result.numUpdatedRows).toBe(1n);
    const none = await database.db.deleteFrom('counter').where('id', '=', 99).executeTakeFirst();
    expect(none.numDeletedRows).toBe(0n);
  });
});
