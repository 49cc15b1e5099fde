/**
 * Relay's object identification: every object a client may fetch again by id implements `Node`, whose `id` is
 * a global id (the type's name and the object's own key, base64url: opaque to clients) that `node(id:)` answers
 * with the same object. The keys are the ids the API already gives (a runId, MODEL@VERSION, a deployment name).
 */
import { isInterfaceType, type GraphQLSchema } from 'graphql';
import { Field, ID, InterfaceType } from 'type-graphql';

/** A Node as `node(id:)` answers it: the object, with the name of its type. */
const typeOfNode = (value: { __typename?: string }) => value.__typename;

@InterfaceType('Node', {
  description: 'An object with a global id: node(id:) answers it again for that id.',
  resolveType: typeOfNode,
})
export abstract class Node {
  @Field(() => ID, { description: 'The global id: pass it to node(id:) to fetch this object again.' })
  id!: string;
}

/** The global id of the object of type `typeName` whose own key is `key`. */
export const globalId = (typeName: string, key: string): string =>
  Buffer.from(`${typeName}:${key}`, 'utf8').toString('base64url');

/** A global id's type name and key; null when `id` is not one this API made. */
export function parseGlobalId(id: string): { typeName: string; key: string } | null {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) return null;
  const text = Buffer.from(id, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0 || globalId(text.slice(0, colon), text.slice(colon + 1)) !== id) return null;
  return { typeName: text.slice(0, colon), key: text.slice(colon + 1) };
}

/**
 * type-graphql wraps every resolveType in an async function; graphql-jit (compiledExecution.ts) needs the type
 * at once, so the built schema gets the plain one back.
 */
export function withSynchronousNodeType(schema: GraphQLSchema): GraphQLSchema {
  const node = schema.getType('Node');
  if (isInterfaceType(node)) node.resolveType = typeOfNode;
  return schema;
}
