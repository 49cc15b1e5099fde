import { randomUUID } from 'node:crypto';
import { eventRegistry, type Decider, type DomainEvent } from '../../domain/index.js';
import type { RecordedEvent, StreamReader } from '../../eventstore/index.js';
import type { CommandContext } from '../../services/index.js';
import type { ApiClient } from './apiClient.js';

/** What the worker reads of a payload: a refusal in userErrors is thrown as its DomainError by the ApiClient. */
export const REFUSALS = 'userErrors { code message details }';

const STREAM = `query Stream($streamId: ID!, $after: String) {
  stream(streamId: $streamId, first: 500, after: $after) {
    edges { node { eventId streamId streamVersion checkpoint type schemaVersion data
      metadata { actor correlationId causationId recordedAt previousHash hash } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

type EventNode = Omit<RecordedEvent, 'metadata'> & {
  metadata: Omit<RecordedEvent['metadata'], 'recordedAt'> & { recordedAt: string | Date };
};

/**
 * The services' view of the platform for a worker with no database, shared by its job kinds: streams read
 * with the `stream` query, aggregates folded from them with the domain's own deciders, and reports sent
 * as the worker mutations docs/workers.md documents. Every mutation carries an idempotencyKey (the
 * caller's, or a fresh one per call), so the client's retries record nothing twice.
 */
export class ApiStreams implements StreamReader {
  constructor(readonly client: ApiClient) {}

  async readStream(streamId: string): Promise<readonly RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    let after: string | null = null;
    for (;;) {
      const page: {
        stream: {
          edges: { node: EventNode }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      } = await this.client.graphql(STREAM, { streamId, after });
      for (const { node } of page.stream.edges) {
        events.push({
          ...node,
          metadata: { ...node.metadata, recordedAt: new Date(node.metadata.recordedAt).toISOString() },
        });
      }
      if (!page.stream.pageInfo.hasNextPage) return events;
      after = page.stream.pageInfo.endCursor;
    }
  }

  /** An aggregate's state as the services load it: its stream, upcast, folded by its decider. */
  async load<Command, Event extends DomainEvent, State>(
    decider: Decider<Command, Event, State>,
    streamId: string,
  ): Promise<State> {
    let state = decider.initialState();
    for (const recorded of await this.readStream(streamId)) {
      if (!eventRegistry.has(recorded.type)) continue;
      const { data } = eventRegistry.upcast(recorded.type, recorded.schemaVersion, recorded.data);
      state = decider.evolve(state, { type: recorded.type, data } as Event);
    }
    return state;
  }

  /** A mutation whose answer is only that it was recorded. */
  async record(
    mutation: string,
    variables: Record<string, unknown>,
    context?: CommandContext,
  ): Promise<void> {
    await this.client.graphql(mutation, context ? { ...variables, key: keyOf(context) } : variables);
  }
}

/** The caller's idempotencyKey, or one for this call alone: a retry of the call reuses it. */
export function keyOf(context: CommandContext): string {
  return context.idempotencyKey ?? randomUUID();
}
