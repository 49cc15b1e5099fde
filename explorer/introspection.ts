/** The standard introspection query (as graphql-js's getIntrospectionQuery() writes it, with descriptions). */
export const INTROSPECTION_QUERY = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`;

export interface TypeRef {
  readonly kind: string;
  readonly name: string | null;
  readonly ofType: TypeRef | null;
}

export interface IntrospectedInputValue {
  readonly name: string;
  readonly description: string | null;
  readonly type: TypeRef;
}

export interface IntrospectedField extends IntrospectedInputValue {
  readonly args: readonly IntrospectedInputValue[];
}

export interface IntrospectedType {
  readonly kind: string;
  readonly name: string;
  readonly description: string | null;
  readonly fields: readonly IntrospectedField[] | null;
  readonly inputFields: readonly IntrospectedInputValue[] | null;
  readonly enumValues: readonly { readonly name: string }[] | null;
}

export interface IntrospectedSchema {
  readonly queryType: { readonly name: string } | null;
  readonly mutationType: { readonly name: string } | null;
  readonly subscriptionType: { readonly name: string } | null;
  readonly types: readonly IntrospectedType[];
}
