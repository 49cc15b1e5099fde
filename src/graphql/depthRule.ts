import type { FragmentDefinitionNode, SelectionSetNode, ValidationRule } from 'graphql';
import { GraphQLError, Kind } from 'graphql';

/**
 * Refuses operations whose selections nest deeper than `maxDepth` (a field with a selection set is
 * one level; introspection fields `__*` are not counted), with graphql-depth-limit's message.
 *
 * Written here rather than taken from graphql-depth-limit because that one follows fragment spreads
 * blindly: a fragment cycle (which NoFragmentCyclesRule reports in the same validation pass) recursed
 * until the stack overflowed, and a fragment spread many times was walked again each time. Here
 * each fragment is measured once, a spread back into a fragment being measured counts 0, and no
 * walk goes deeper than the limit.
 */
export function depthRule(maxDepth: number): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const tooDeep = maxDepth + 1;
    /** Depth of each fragment's selections, capped at tooDeep; null while being measured (a cycle). */
    const fragmentDepths = new Map<string, number | null>();
    const depthOf = (selectionSet: SelectionSetNode, levels: number): number => {
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        let depth = 0;
        if (selection.kind === Kind.FIELD) {
          if (selection.selectionSet && !selection.name.value.startsWith('__')) {
            depth = levels >= tooDeep ? tooDeep : 1 + depthOf(selection.selectionSet, levels + 1);
          }
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          depth = depthOf(selection.selectionSet, levels);
        } else {
          depth = fragmentDepth(selection.name.value);
        }
        deepest = Math.min(tooDeep, Math.max(deepest, depth));
        if (deepest >= tooDeep) break;
      }
      return deepest;
    };
    const fragmentDepth = (name: string): number => {
      const known = fragmentDepths.get(name);
      if (known !== undefined) return known ?? 0;
      const fragment = fragments.get(name);
      if (!fragment) return 0; // KnownFragmentNamesRule reports it.
      fragmentDepths.set(name, null);
      // Measured from its own top, so the answer holds wherever it is spread.
      const depth = depthOf(fragment.selectionSet, 0);
      fragmentDepths.set(name, depth);
      return depth;
    };
    return {
      OperationDefinition(operation) {
        if (depthOf(operation.selectionSet, 0) > maxDepth) {
          context.reportError(
            new GraphQLError(
              `'${operation.name?.value ?? ''}' exceeds maximum operation depth of ${maxDepth}`,
              { nodes: [operation] },
            ),
          );
        }
        return false;
      },
    };
  };
}
