import type {
  Kysely,
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

/**
 * The tables one request's SQL read, recorded by a Kysely plugin on the database handed to its
 * resolvers: query builders name their tables in the operation tree. Raw SQL (`sql\`...\``) is not
 * parsed: a raw statement, or a raw fragment that could read a table (it says FROM or JOIN), sets
 * `unnamed`, and the caller must then assume the request may have read any table.
 */
export class TableReads implements KyselyPlugin {
  readonly tables = new Set<string>();
  unnamed = false;

  track<Db>(db: Kysely<Db>): Kysely<Db> {
    return db.withPlugin(this);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (args.node.kind === 'RawNode') this.unnamed = true;
    else this.collect(args.node);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }

  private collect(node: object): void {
    if (Array.isArray(node)) {
      for (const item of node) if (typeof item === 'object' && item !== null) this.collect(item);
      return;
    }
    const kind = (node as { kind?: unknown }).kind;
    if (kind === 'TableNode') {
      this.tables.add((node as { table: { identifier: { name: string } } }).table.identifier.name);
      return;
    }
    if (kind === 'RawNode') {
      const fragments = (node as { sqlFragments: readonly string[] }).sqlFragments;
      if (fragments.some((fragment) => /\b(?:from|join)\b/i.test(fragment))) this.unnamed = true;
    }
    for (const value of Object.values(node)) {
      if (typeof value === 'object' && value !== null) this.collect(value);
    }
  }
}
