import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The event store: an append-only `events` table and a `streams` table with each stream's head.
 * Global order is (transaction_id, global_position): readers only look below the oldest running
 * transaction (pg_snapshot_xmin), so an event whose transaction commits late is never skipped.
 */
export const eventStoreMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before any typed schema exists
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE streams (
        stream_id text PRIMARY KEY,
        version integer NOT NULL CHECK (version >= 0),
        last_hash text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`.execute(db);
    await sql`
      CREATE TABLE events (
        global_position bigserial PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        event_id uuid NOT NULL,
        stream_id text NOT NULL,
        stream_version integer NOT NULL CHECK (stream_version >= 1),
        type text NOT NULL,
        schema_version integer NOT NULL,
        data jsonb NOT NULL,
        actor text NOT NULL,
        correlation_id text NOT NULL,
        causation_id text,
        recorded_at timestamptz NOT NULL,
        previous_hash text,
        hash text NOT NULL,
        CONSTRAINT events_event_id_key UNIQUE (event_id),
        CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
      )`.execute(db);
    await sql`CREATE INDEX events_global_order ON events (transaction_id, global_position)`.execute(db);
    await sql`
      CREATE FUNCTION tuneledger_refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the events table is append-only: % refused', TG_OP
          USING ERRCODE = 'restrict_violation',
                HINT = 'append a compensating event instead of changing history';
      END $$`.execute(db);
    await sql`
      CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
      FOR EACH STATEMENT EXECUTE FUNCTION tuneledger_refuse_event_change()`.execute(db);

    // One round trip per append. The caller computed the hashes against the head it believes in
    // (p_head_version); if the stream moved, nothing is written and the real head comes back
    // ('stale') so the caller can re-check its expected version and re-hash.
    await sql`
      CREATE FUNCTION tuneledger_append(p_stream_id text, p_head_version integer, p_events jsonb)
      RETURNS TABLE (out_status text, out_version integer, out_hash text, out_position text, out_transaction text)
      LANGUAGE plpgsql AS $$
      DECLARE
        v_version integer;
        v_hash text;
        v_count integer := jsonb_array_length(p_events);
        v_last_hash text := p_events -> (jsonb_array_length(p_events) - 1) ->> 'hash';
      BEGIN
        IF EXISTS (
          SELECT 1 FROM events
          WHERE event_id IN (SELECT (e ->> 'eventId')::uuid FROM jsonb_array_elements(p_events) e)
        ) THEN
          RETURN QUERY SELECT 'duplicate'::text, NULL::integer, NULL::text, NULL::text, NULL::text;
          RETURN;
        END IF;
        SELECT s.version, s.last_hash INTO v_version, v_hash
          FROM streams s WHERE s.stream_id = p_stream_id FOR UPDATE;
        IF NOT FOUND THEN
          v_version := 0;
        END IF;
        IF v_version <> p_head_version THEN
          RETURN QUERY SELECT 'stale'::text, v_version, v_hash, NULL::text, NULL::text;
          RETURN;
        END IF;
        IF v_version = 0 THEN
          -- A concurrent creator makes this fail with unique_violation; the caller re-reads and retries.
          INSERT INTO streams (stream_id, version, last_hash) VALUES (p_stream_id, v_count, v_last_hash);
        ELSE
          UPDATE streams SET version = v_version + v_count, last_hash = v_last_hash, updated_at = now()
            WHERE stream_id = p_stream_id;
        END IF;
        RETURN QUERY
          WITH inserted AS (
            INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, actor,
                                correlation_id, causation_id, recorded_at, previous_hash, hash)
            SELECT (e ->> 'eventId')::uuid, p_stream_id, v_version + n::integer, e ->> 'type',
                   (e ->> 'schemaVersion')::integer, e -> 'data', e ->> 'actor', e ->> 'correlationId',
                   e ->> 'causationId', (e ->> 'recordedAt')::timestamptz, e ->> 'previousHash', e ->> 'hash'
            FROM jsonb_array_elements(p_events) WITH ORDINALITY AS t(e, n)
            ORDER BY n
            RETURNING stream_version, hash, global_position, transaction_id
          )
          SELECT 'ok'::text, i.stream_version, i.hash, i.global_position::text, i.transaction_id::text
          FROM inserted i ORDER BY i.stream_version;
      END $$`.execute(db);
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see up()
  async down(db: Kysely<any>) {
    await sql`DROP FUNCTION tuneledger_append(text, integer, jsonb)`.execute(db);
    await sql`DROP TABLE events`.execute(db);
    await sql`DROP FUNCTION tuneledger_refuse_event_change()`.execute(db);
    await sql`DROP TABLE streams`.execute(db);
  },
};
