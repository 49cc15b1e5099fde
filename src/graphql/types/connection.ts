import type { ClassType } from 'type-graphql';
import { Field, Int, ObjectType } from 'type-graphql';
import { PageInfo } from './pageInfo.type.js';

export interface Edge<T> {
  readonly cursor: string;
  readonly node: T;
}

export interface Connection<T> {
  readonly edges: readonly Edge<T>[];
  readonly pageInfo: PageInfo;
  /** The whole list's size, counted only when `totalCount` is selected; absent where it cannot be counted. */
  readonly count?: () => Promise<number> | number;
}

/** A Relay connection type `<Name>Connection` with `<Name>Edge` for a node type. */
export function connectionType<T extends object>(name: string, node: ClassType<T>): ClassType<Connection<T>> {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field()
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    count?: () => Promise<number> | number;

    @Field(() => Int, {
      nullable: true,
      description:
        'How many items the whole list has, with the same filters, across all pages (priced by the query cost rules); null where it is not counted.',
    })
    totalCount(): Promise<number> | number | null {
      return this.count?.() ?? null;
    }
  }
  return ConnectionType;
}

type Key = string | number;

/**
 * Keyset cursors in the read-model queries' format (base64url of the JSON key), so that any edge's
 * cursor can be handed back as `after` or `before`, not only the page's last.
 */
export function keyCursor(key: readonly Key[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * An edge whose cursor is encoded only when a query selects it (the default resolver reads the
 * property): a 500-item page that asks for nodes only skips 500 base64 encodings. A class, so that
 * a page of edges shares one shape and one getter instead of a closure per row.
 */
class KeyedEdge<Row, T> implements Edge<T> {
  constructor(
    private readonly row: Row,
    private readonly keyOf: (row: Row) => readonly Key[],
    readonly node: T,
  ) {}

  get cursor(): string {
    return keyCursor(this.keyOf(this.row));
  }
}

/** A read-model page to a connection: each edge's cursor is its row's key. */
export function toConnection<Row, T>(
  page: {
    readonly items: readonly Row[];
    readonly nextCursor: string | null;
    readonly hasPreviousPage: boolean;
    readonly count?: () => Promise<number>;
  },
  keyOf: (row: Row) => readonly Key[],
  map: (row: Row) => T,
): Connection<T> {
  const edges = page.items.map((row) => new KeyedEdge(row, keyOf, map(row)));
  return {
    edges,
    ...(page.count ? { count: page.count } : {}),
    pageInfo: {
      hasNextPage: page.nextCursor !== null,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

/** A whole in-memory list as one connection page (small lists such as checkpoints or labels). */
export function listConnection<T>(
  items: readonly T[],
  cursorOf: (item: T, index: number) => string,
): Connection<T> {
  const edges = items.map((node, index) => ({ cursor: cursorOf(node, index), node }));
  return {
    edges,
    count: () => items.length,
    pageInfo: {
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
