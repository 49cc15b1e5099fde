import { Arg, Ctx, ID, Int, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { RecordedEvent } from '../../eventstore/eventStore.js';
import type { ApiContext } from '../context.js';
import { requireAction } from '../context.js';
import { badInput, notFound } from '../errors.js';
import { afterArg, beforeArg, firstArg, lastArg, pageArgs } from './paging.js';
import { EventConnection, EventFilter, EventType, matchesFilter, toEventType } from '../types/event.type.js';
import {
  RunProgressUpdate,
  runEndEventTypes,
  runProgressEventTypes,
  toRunProgressUpdate,
} from '../types/runProgress.type.js';

const maxPageSize = 500;
/** A filtered log page stops scanning here and hands back a cursor to continue from. */
const maxScannedPerPage = 20_000;

/** A stream page's size when neither first nor last is given. */
const streamPageSize = 100;

/** A stream cursor is a stream version: a whole number (0: before the first event). */
function streamCursor(name: 'after' | 'before', cursor: string | null): number | undefined {
  if (cursor == null) return undefined;
  const version = /^[0-9]{1,10}$/.test(cursor) ? Number(cursor) : NaN;
  if (!Number.isSafeInteger(version))
    throw badInput(
      `${name}: cursor "${cursor}" is not one this API returned for a stream (a stream version, e.g. "3")`,
    );
  return version;
}

function pageSize(first: number): number {
  if (first < 1 || first > maxPageSize)
    throw badInput(`first must be between 1 and ${maxPageSize}, got ${first}`);
  return first;
}

/** Passes on the events `keep` accepts, and ends after the first one `stopAfter` accepts. */
function filtered(
  source: AsyncIterableIterator<RecordedEvent>,
  keep: (event: RecordedEvent) => boolean,
  stopAfter: (event: RecordedEvent) => boolean = () => false,
): AsyncIterableIterator<RecordedEvent> {
  let finished = false;
  const iterator: AsyncIterableIterator<RecordedEvent> = {
    next: async () => {
      while (!finished) {
        const result = await source.next();
        if (result.done) break;
        if (!keep(result.value)) continue;
        if (stopAfter(result.value)) {
          finished = true;
          await source.return?.();
        }
        return result;
      }
      finished = true;
      return { done: true, value: undefined };
    },
    return: async () => {
      finished = true;
      await source.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

@Resolver()
export class EventResolver {
  @Query(() => EventConnection, { description: 'The global log in order, optionally filtered.' })
  async log(
    @Ctx() context: ApiContext,
    @Arg('first', () => Int, { defaultValue: 100 }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'A checkpoint (cursor) to continue after.' })
    after: string | null,
    @Arg('filter', () => EventFilter, { nullable: true }) filter: EventFilter | null,
  ): Promise<EventConnection> {
    requireAction(context, 'read', 'read the event log');
    const size = pageSize(first);
    const edges: EventConnection['edges'] = [];
    let checkpoint = after ?? '';
    let scanned = 0;
    let exhausted = false;
    while (edges.length <= size && scanned < maxScannedPerPage) {
      const page = await context.deps.store.readAll(checkpoint, filter ? 1000 : size + 1);
      if (page.events.length === 0) {
        exhausted = true;
        break;
      }
      for (const event of page.events) {
        scanned += 1;
        checkpoint = event.checkpoint;
        if (matchesFilter(event, filter)) edges.push({ cursor: event.checkpoint, node: toEventType(event) });
        if (edges.length > size) break;
      }
    }
    const hasNextPage = edges.length > size || !exhausted;
    const shown = edges.slice(0, size);
    return {
      edges: shown,
      pageInfo: {
        hasNextPage,
        hasPreviousPage: after != null && after !== '',
        startCursor: shown[0]?.cursor ?? null,
        // When the scan limit cut a filtered page short, continue from where the scan stopped.
        endCursor: edges.length > size ? (shown.at(-1)?.cursor ?? null) : checkpoint || null,
      },
    };
  }

  @Query(() => EventConnection, {
    description:
      "One stream's events in order (cursor: the stream version). Pages forward with first/after and backward with last/before, as the read-model lists do.",
  })
  async stream(
    @Ctx() context: ApiContext,
    @Arg('streamId', () => ID) streamId: string,
    @Arg('first', () => Int, firstArg(streamPageSize)) first: number | null,
    @Arg('after', () => String, afterArg) after: string | null,
    @Arg('last', () => Int, lastArg) last: number | null,
    @Arg('before', () => String, beforeArg) before: string | null,
  ): Promise<EventConnection> {
    requireAction(context, 'read', 'read an event stream');
    const window = pageArgs({ first, after, last, before }, streamPageSize);
    const afterVersion = streamCursor('after', after) ?? 0;
    const beforeVersion = streamCursor('before', before);
    const inRange = (event: RecordedEvent) =>
      event.streamVersion > afterVersion &&
      (beforeVersion === undefined || event.streamVersion < beforeVersion);
    let shown: RecordedEvent[];
    let hasPreviousPage: boolean;
    let hasNextPage: boolean;
    if (window.last !== undefined) {
      // Newest first from just below `before`, one more than asked to tell whether earlier ones exist.
      const read =
        beforeVersion !== undefined && beforeVersion <= 1
          ? []
          : await context.deps.store.readStream(streamId, {
              direction: 'backwards',
              ...(beforeVersion !== undefined ? { from: beforeVersion - 1 } : {}),
              limit: window.last + 1,
            });
      const kept = read.filter(inRange);
      shown = kept.slice(0, window.last).reverse();
      hasPreviousPage = kept.length > window.last;
      hasNextPage = beforeVersion !== undefined;
    } else {
      const size = window.first ?? streamPageSize;
      const read = await context.deps.store.readStream(streamId, { from: afterVersion + 1, limit: size + 1 });
      const kept = read.filter(inRange);
      shown = kept.slice(0, size);
      hasPreviousPage = afterVersion > 0;
      hasNextPage = kept.length > size;
    }
    const edges = shown.map((event) => ({ cursor: String(event.streamVersion), node: toEventType(event) }));
    return {
      edges,
      pageInfo: {
        hasNextPage,
        hasPreviousPage,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      },
    };
  }

  @Subscription(() => EventType, {
    description:
      'Events as they are appended. With `from`, first every event after that checkpoint, then live ones.',
    subscribe: ({ args, context }) => {
      const api = context as ApiContext;
      requireAction(api, 'read', 'follow the event log');
      const filter = args.filter as EventFilter | null | undefined;
      return filtered(api.feed.events(args.from ?? undefined), (event) => matchesFilter(event, filter));
    },
  })
  events(
    @Root() event: RecordedEvent,
    @Arg('filter', () => EventFilter, { nullable: true }) _filter: EventFilter | null,
    @Arg('from', () => String, { nullable: true }) _from: string | null,
  ): EventType {
    return toEventType(event);
  }

  @Subscription(() => RunProgressUpdate, {
    description:
      "A training run's claim, stage, progress, checkpoint and end events as they are appended; completes after the end event. With `from`, first those after that checkpoint.",
    subscribe: async ({ args, context }) => {
      const api = context as ApiContext;
      requireAction(api, 'read', 'follow a run');
      const streamId = `run-${String(args.runId)}`;
      const last = await api.deps.store.readStream(streamId, { direction: 'backwards', limit: 1 });
      if (last.length === 0)
        throw notFound(`training run ${String(args.runId)} does not exist (no stream ${streamId})`);
      const types: readonly string[] = runProgressEventTypes;
      const keep = (event: RecordedEvent) => event.streamId === streamId && types.includes(event.type);
      const ended = (event: RecordedEvent) => runEndEventTypes.includes(event.type);
      if (args.from == null && ended(last[0]!)) {
        // Already over: hand the end event to the client and complete, rather than wait forever.
        return (async function* () {
          yield last[0]!;
        })();
      }
      return filtered(api.feed.events(args.from ?? undefined), keep, ended);
    },
  })
  runProgress(
    @Root() event: RecordedEvent,
    @Arg('runId', () => ID) runId: string,
    @Arg('from', () => String, { nullable: true }) _from: string | null,
  ): RunProgressUpdate {
    return toRunProgressUpdate(runId, event);
  }
}
