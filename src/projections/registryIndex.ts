import { sql, type Kysely } from 'kysely';
import type { Checkpoint } from '../eventstore/eventStore.js';
import type { ModelState, ModelVersionState, OwnedRegistry } from './registry.fold.js';
import { worldFoldVersion } from './worldFold.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the index table is reached through raw SQL
type AnyDb = Kysely<any>;

const ROWS_PER_STATEMENT = 500;

/** The row of a model's own fields (its versions have rows of their own, numbered from 1). */
const MODEL_ROW = 0;

type ModelFields = Omit<ModelState, 'versions'>;

interface RegistryRow {
  model_name: string;
  version: number;
  state: ModelFields | ModelVersionState | string;
}

/**
 * The registry index (`world_registry_rows`, migration 0122): the rows of the models and versions a
 * snapshot changed, under its checkpoint. The writer keeps the registry it folds and remembers which
 * model and version states it has written (the fold replaces a state object whenever it changes
 * it), so each snapshot writes only what changed since the one before.
 */
export class RegistryIndexWriter {
  private readonly written = new WeakSet<object>();

  /** The registry loaded from the index at the writer's start: all of it is already written. */
  constructor(loaded?: OwnedRegistry) {
    for (const model of loaded?.values() ?? []) {
      this.written.add(model);
      for (const version of model.versions.values()) this.written.add(version);
    }
  }

  /** Writes the rows of what changed in `registry` since the last write, under `checkpoint`. */
  async write(db: AnyDb, registry: OwnedRegistry, checkpoint: Checkpoint): Promise<void> {
    const rows: ReturnType<typeof sql>[] = [];
    const row = (modelName: string, version: number, ordinal: number, state: object) =>
      sql`(${worldFoldVersion}, ${modelName}, ${version}, ${checkpoint}, ${ordinal}, ${JSON.stringify(state)}::json)`;
    let modelOrdinal = 0;
    for (const model of registry.values()) {
      if (!this.written.has(model)) {
        const { versions: _versions, ...fields } = model;
        rows.push(row(model.modelName, MODEL_ROW, modelOrdinal, fields));
      }
      let versionOrdinal = 0;
      for (const version of model.versions.values()) {
        if (!this.written.has(version))
          rows.push(row(model.modelName, version.version, versionOrdinal, version));
        versionOrdinal++;
      }
      modelOrdinal++;
    }
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      await sql`
        INSERT INTO world_registry_rows (fold_version, model_name, version, checkpoint, ordinal, state)
        VALUES ${sql.join(rows.slice(i, i + ROWS_PER_STATEMENT))} ON CONFLICT DO NOTHING`.execute(db);
    }
    for (const model of registry.values()) {
      this.written.add(model);
      for (const version of model.versions.values()) this.written.add(version);
    }
  }
}

/**
 * The registry at a snapshot's checkpoint: the newest row of each model and version up to it, in the
 * fold's order. Reads the rows of `modelName` only when given.
 */
export async function registryAt(db: AnyDb, upTo: Checkpoint, modelName?: string): Promise<OwnedRegistry> {
  const { rows } = await sql<RegistryRow>`
    SELECT model_name, version, state FROM (
      SELECT DISTINCT ON (model_name, version) model_name, version, ordinal, state
      FROM world_registry_rows
      WHERE fold_version = ${worldFoldVersion} AND checkpoint <= ${upTo}
        ${modelName === undefined ? sql`` : sql`AND model_name = ${modelName}`}
      ORDER BY model_name, version, checkpoint DESC
    ) AS newest
    ORDER BY version <> ${MODEL_ROW}, ordinal`.execute(db);
  const registry: OwnedRegistry = new Map();
  const parse = <T>(state: T | string): T => (typeof state === 'string' ? (JSON.parse(state) as T) : state);
  for (const row of rows) {
    if (row.version === MODEL_ROW) {
      registry.set(row.model_name, { ...parse(row.state as ModelFields | string), versions: new Map() });
      continue;
    }
    const version = parse(row.state as ModelVersionState | string);
    registry.get(row.model_name)?.versions.set(version.version, version);
  }
  return registry;
}

/** Removes the index rows of other fold versions (the writer, when it starts its version from zero). */
export async function dropOtherRegistryIndexVersions(db: AnyDb): Promise<void> {
  await sql`DELETE FROM world_registry_rows WHERE fold_version <> ${worldFoldVersion}`.execute(db);
}
