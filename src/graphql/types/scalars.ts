import { DateTimeResolver, JSONObjectResolver, JSONResolver } from 'graphql-scalars';

/** The scalars the schema uses, from graphql-scalars so clients meet well-known names. */
export const DateTime = DateTimeResolver;
export const JSON = JSONResolver;
export const JSONObject = JSONObjectResolver;
