import type { Kysely } from 'kysely';
import type { ArtifactStore } from '../data/index.js';
import type { Checkpoint, EventStore } from '../eventstore/eventStore.js';
import type { RewardScorer, Services } from '../services/index.js';
import type { ActionClass } from './auth/roles.js';
import { mayPerform, rolesAllowing } from './auth/roles.js';
import type { TokenStore } from './auth/tokenStore.js';
import type { Viewer } from './auth/viewer.js';
import { forbidden } from './errors.js';
import type { Deadline } from './deadline.js';
import type { CacheScope } from './responseCache.js';
import type { EventFeed } from './subscriptions/eventFeed.js';

/** Waits until every projection has applied the log up to a checkpoint (read-your-writes). */
export interface ProjectionWaiter {
  waitFor(checkpoint: Checkpoint, options?: { timeoutMs?: number }): Promise<void>;
}

/** What the API needs from the rest of the application; the composition root provides it. */
export interface GraphqlDependencies {
  readonly store: EventStore;
  /** The database holding the read models and the api_tokens table (migrations applied). */
  readonly db: Kysely<unknown>;
  /** The application services mutations call (createServices from src/services). */
  readonly services?: Services;
  /** When given, a mutation returns only once its events are projected (read-your-writes). */
  readonly projections?: ProjectionWaiter;
  /** Where dataset files and lexicons are stored (the ingestDataset and requestAugmentation mutations). */
  readonly artifacts?: ArtifactStore;
  /** The directory ingestDataset may read `path`s from; without it only inline `content` is taken. */
  readonly datasetImportDir?: string;
  /** TUNELEDGER_PII_KEY: what an ingest whose PII policy pseudonymises makes its pseudonyms with. */
  readonly piiKey?: string;
  /**
   * Interactions served in this process are written to the log in batches, shortly after the answer:
   * labelFeedback waits for the one it labels (the serving recorder's whenRecorded).
   */
  readonly interactionCapture?: { whenRecorded(interactionId: string): Promise<void> };
  /** Scores answers with a registered reward model (the rewardScores query); without it the query is refused. */
  readonly rewardScorer?: RewardScorer;
}

/** Everything a resolver sees for one request or one subscription. */
export interface ApiContext {
  readonly deps: GraphqlDependencies;
  readonly viewer: Viewer;
  readonly feed: EventFeed;
  readonly tokens: TokenStore;
  /** Present when the answer may be stored in the response cache: resolvers declare what else it depends on. */
  readonly cacheScope?: CacheScope;
  /** A query's time budget (absent for subscriptions); folds and reports stop on its signal. */
  readonly deadline?: Deadline;
  /** What the request's resolvers want the client to know although nothing failed: sent as `extensions.warnings`. */
  readonly warnings?: string[];
}

/** Throws FORBIDDEN, naming the roles that would do, unless the viewer may perform the action. */
export function requireAction(context: ApiContext, action: ActionClass, what: string): void {
  if (mayPerform(context.viewer.roles, action)) return;
  throw forbidden(
    `${context.viewer.actor} (roles: ${context.viewer.roles.join(', ') || 'none'}) may not ${what}; this needs one of the roles ${rolesAllowing(action).join(', ')}`,
  );
}
