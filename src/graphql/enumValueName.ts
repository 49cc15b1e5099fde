/**
 * The GraphQL name of a domain value in an enum of the API: camelCase, kebab-case and snake_case words joined
 * by `_` and upper-cased ('openai-messages' is OPENAI_MESSAGES, 'entityLoss' ENTITY_LOSS). Clients that hold a
 * domain value (the CLI's `--format`) send this name.
 */
export const graphqlEnumValueName = (value: string): string =>
  value
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
