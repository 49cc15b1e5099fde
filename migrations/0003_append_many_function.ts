import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `tuneledger_append_many(appends jsonb)`: the appends of several streams in one round trip, each with
 * the rules of `tuneledger_append` (0001): events whose ids are known come back 'duplicate'; a stream whose
 * head is not the one the client hashed against comes back 'stale' with its real head; otherwise the
 * events are written and come back 'ok', one row each. Streams are locked in stream id order, so two
 * batches over the same streams never deadlock. A stream created by another writer while this one waited
 * is reported 'stale' (INSERT ... ON CONFLICT DO NOTHING), not raised, so it does not undo the others.
 */
export const appendManyFunctionMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema exists
  async up(db: Kysely<any>) {
    await sql`
      CREATE FUNCTION tuneledger_append_many(p_appends jsonb)
      RETURNS TABLE (out_index integer, out_status text, out_version integer, out_hash text,
                     out_position text, out_transaction text)
      LANGUAGE plpgsql AS $$
      DECLARE
        a record;
        v_version integer;
        v_hash text;
        v_count integer;
        v_last_hash text;
      BEGIN
        FOR a IN
          SELECT t.item ->> 'streamId' AS stream_id, (t.item ->> 'headVersion')::integer AS head_version,
                 t.item -> 'events' AS events, (t.item ->> 'index')::integer AS idx
          FROM jsonb_array_elements(p_appends) AS t(item)
          ORDER BY t.item ->> 'streamId'
        LOOP
          IF EXISTS (
            SELECT 1 FROM events
            WHERE event_id IN (SELECT (e ->> 'eventId')::uuid FROM jsonb_array_elements(a.events) e)
          ) THEN
            RETURN QUERY SELECT a.idx, 'duplicate'::text, NULL::integer, NULL::text, NULL::text, NULL::text;
            CONTINUE;
          END IF;
          SELECT s.version, s.last_hash INTO v_version, v_hash
            FROM streams s WHERE s.stream_id = a.stream_id FOR UPDATE;
          IF NOT FOUND THEN
            v_version := 0;
            v_hash := NULL;
          END IF;
          IF v_version <> a.head_version THEN
            RETURN QUERY SELECT a.idx, 'stale'::text, v_version, v_hash, NULL::text, NULL::text;
            CONTINUE;
          END IF;
          v_count := jsonb_array_length(a.events);
          v_last_hash := a.events -> (v_count - 1) ->> 'hash';
          IF v_version = 0 THEN
            INSERT INTO streams (stream_id, version, last_hash) VALUES (a.stream_id, v_count, v_last_hash)
              ON CONFLICT (stream_id) DO NOTHING;
            IF NOT FOUND THEN
              SELECT s.version, s.last_hash INTO v_version, v_hash FROM streams s WHERE s.stream_id = a.stream_id;
              RETURN QUERY SELECT a.idx, 'stale'::text, COALESCE(v_version, 0), v_hash, NULL::text, NULL::text;
              CONTINUE;
            END IF;
          ELSE
            UPDATE streams SET version = v_version + v_count, last_hash = v_last_hash, updated_at = now()
              WHERE stream_id = a.stream_id;
          END IF;
          RETURN QUERY
            WITH inserted AS (
              INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, actor,
                                  correlation_id, causation_id, recorded_at, previous_hash, hash)
              SELECT (e ->> 'eventId')::uuid, a.stream_id, v_version + n::integer, e ->> 'type',
                     (e ->> 'schemaVersion')::integer, e -> 'data', e ->> 'actor', e ->> 'correlationId',
                     e ->> 'causationId', (e ->> 'recordedAt')::timestamptz, e ->> 'previousHash', e ->> 'hash'
              FROM jsonb_array_elements(a.events) WITH ORDINALITY AS t(e, n)
              ORDER BY n
              RETURNING stream_version, hash, global_position, transaction_id
            )
            SELECT a.idx, 'ok'::text, i.stream_version, i.hash, i.global_position::text, i.transaction_id::text
            FROM inserted i ORDER BY i.stream_version;
        END LOOP;
      END $$`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
  async down(db: Kysely<any>) {
    await sql`DROP FUNCTION tuneledger_append_many(jsonb)`.execute(db);
  },
};
