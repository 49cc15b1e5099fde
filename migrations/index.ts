import type { Migration } from 'kysely';
import { eventStoreMigration } from './0001_event_store.js';
import { apiTokens } from './0200_api_tokens.js';

/**
 * In-code migration provider (kysely's FileMigrationProvider cannot import .ts under vitest).
 * Names sort in the order they run; each area owns a range: 0001-0099 event store,
 * 0100-0199 read models, 0200-0299 GraphQL/auth, 0300-0399 workers, 0400-0499 serving.
 */
export const migrations: Record<string, Migration> = {
  '0001_event_store': eventStoreMigration,
  '0200_api_tokens': apiTokens,
};
