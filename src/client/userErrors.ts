/**
 * A mutation's refusals by a domain rule come back as data, in its payload's `userErrors` (docs/graphql.md,
 * Mutations), not as GraphQL errors: a client that must not take a refusal for success selects
 * `userErrors { code message }` and checks them, as `userErrorsOf` does for every root field of an answer.
 */

/** One entry of a payload's `userErrors`, with the fields a client may have selected. */
export interface UserErrorAnswer {
  readonly code: string;
  readonly message: string;
  readonly kind?: string;
  readonly field?: readonly string[] | null;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The user errors of every root field of a mutation's data (empty for a query or a recorded mutation). */
export function userErrorsOf(data: unknown): UserErrorAnswer[] {
  if (typeof data !== 'object' || data === null) return [];
  return Object.values(data).flatMap((payload: unknown) => {
    if (typeof payload !== 'object' || payload === null) return [];
    const errors = (payload as { userErrors?: unknown }).userErrors;
    return Array.isArray(errors) ? (errors as UserErrorAnswer[]) : [];
  });
}
