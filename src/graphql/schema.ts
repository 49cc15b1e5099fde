import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import type { NonEmptyArray } from 'type-graphql';
import { buildSchema } from 'type-graphql';
import { EventResolver } from './resolvers/event.resolver.js';
import { ViewerResolver } from './resolvers/viewer.resolver.js';

// Resolvers close over nothing: everything they need comes from the per-request ApiContext.
const resolvers: NonEmptyArray<Function> = [ViewerResolver, EventResolver];

let built: Promise<GraphQLSchema> | null = null;

/** The API's schema (built once per process: type-graphql's metadata is global). */
export function buildApiSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({ resolvers, validate: false, emitSchemaFile: false });
  return built;
}
