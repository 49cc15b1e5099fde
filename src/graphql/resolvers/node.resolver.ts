/** Relay's `node(id:)` and the global `id` of every Node type, over the objects mutations answer with. */
import type { ClassType } from 'type-graphql';
import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import type { ApiContext } from '../context.js';
import { badInput } from '../errors.js';
import { globalId, Node, parseGlobalId } from '../types/node.type.js';
import { subjects, type NodeSubject } from './payloadSubjects.js';

const nodeTypes: ReadonlyMap<string, NodeSubject<object>> = new Map(
  Object.values(subjects).map((subject) => [subject.typeName, subject as NodeSubject<object>]),
);

/** The names of the types `node(id:)` answers. */
export const nodeTypeNames = (): string[] => [...nodeTypes.keys()];

@Resolver()
export class NodeResolver {
  @Query(() => Node, {
    nullable: true,
    description:
      'The object with this global id (the `id` of any Node: TrainingRun, Dataset, ModelVersion, ...); null when it does not exist (any more). An id this API did not make is BAD_USER_INPUT.',
  })
  async node(@Ctx() context: ApiContext, @Arg('id', () => ID) id: string) {
    const parsed = parseGlobalId(id);
    const subject = parsed && nodeTypes.get(parsed.typeName);
    if (!parsed || !subject) {
      throw badInput(`"${id}" is not a global id of this API: pass the \`id\` field of a Node`, {
        field: 'id',
      });
    }
    const found = await subject.load(context, parsed.key);
    return found === null ? null : { ...found, __typename: subject.typeName };
  }
}

/** `id` on one Node type: its global id, from the object's own key. */
function nodeIdResolver(subject: NodeSubject<object>): ClassType {
  @Resolver(subject.type)
  class NodeIdResolver {
    @FieldResolver(() => ID)
    id(@Root() node: object): string {
      return globalId(subject.typeName, subject.keyOf(node));
    }
  }
  return NodeIdResolver;
}

export const nodeIdResolvers = [...nodeTypes.values()].map(nodeIdResolver);
