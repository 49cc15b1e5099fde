/**
 * The platform's own GraphQL explorer: a schema browser built from the standard introspection query, an
 * operation and its variables, and the answer. Served by the platform at GET /graphql and /explorer; it loads
 * nothing from anywhere else.
 */
import {
  INTROSPECTION_QUERY,
  type IntrospectedField,
  type IntrospectedType,
  type TypeRef,
} from './introspection.js';

const ENDPOINT = '/graphql';
const TOKEN_KEY = 'tuneledger.explorer.token';
const QUERY_KEY = 'tuneledger.explorer.query';
const EXAMPLE =
  '{\n  datasets(first: 5) {\n    edges {\n      node {\n        datasetId\n        name\n        domain\n      }\n    }\n  }\n}\n';

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const tokenInput = element<HTMLInputElement>('token');
const queryInput = element<HTMLTextAreaElement>('query');
const variablesInput = element<HTMLTextAreaElement>('variables');
const result = element<HTMLPreElement>('result');
const schemaPane = element<HTMLElement>('schema');

tokenInput.value = localStorage.getItem(TOKEN_KEY) ?? '';
queryInput.value = localStorage.getItem(QUERY_KEY) ?? EXAMPLE;

async function post(query: string, variables: unknown): Promise<{ status: number; body: unknown }> {
  const token = tokenInput.value.trim();
  const response = await fetch(ENDPOINT, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

async function run(): Promise<void> {
  localStorage.setItem(TOKEN_KEY, tokenInput.value.trim());
  localStorage.setItem(QUERY_KEY, queryInput.value);
  let variables: unknown;
  try {
    variables = variablesInput.value.trim() === '' ? {} : JSON.parse(variablesInput.value);
  } catch (error) {
    result.textContent = `The variables are not JSON: ${(error as Error).message}`;
    return;
  }
  result.textContent = 'Running…';
  try {
    const { status, body } = await post(queryInput.value, variables);
    result.textContent = `HTTP ${status}\n${typeof body === 'string' ? body : JSON.stringify(body, null, 2)}`;
  } catch (error) {
    result.textContent = `The request failed: ${(error as Error).message}`;
  }
}

const typeName = (ref: TypeRef): string =>
  ref.kind === 'NON_NULL'
    ? `${typeName(ref.ofType!)}!`
    : ref.kind === 'LIST'
      ? `[${typeName(ref.ofType!)}]`
      : ref.name!;
const namedType = (ref: TypeRef): string => (ref.ofType ? namedType(ref.ofType) : ref.name!);

let types = new Map<string, IntrospectedType>();

function heading(text: string): HTMLElement {
  const h2 = document.createElement('h2');
  h2.textContent = text;
  return h2;
}

function typeLink(ref: TypeRef): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = typeName(ref);
  button.addEventListener('click', () => showType(namedType(ref)));
  return button;
}

function fieldItem(field: IntrospectedField): HTMLLIElement {
  const item = document.createElement('li');
  const args = field.args.map((arg) => `${arg.name}: ${typeName(arg.type)}`).join(', ');
  item.append(`${field.name}${args ? `(${args})` : ''}: `, typeLink(field.type));
  if (field.description) {
    const description = document.createElement('p');
    description.className = 'description';
    description.textContent = field.description;
    item.append(description);
  }
  return item;
}

function showType(name: string): void {
  const type = types.get(name);
  if (!type) return;
  const back = document.createElement('button');
  back.type = 'button';
  back.textContent = '← the root operations';
  back.addEventListener('click', showRoots);
  const list = document.createElement('ul');
  for (const field of type.fields ?? type.inputFields ?? []) list.append(fieldItem({ args: [], ...field }));
  for (const value of type.enumValues ?? []) {
    const item = document.createElement('li');
    item.textContent = value.name;
    list.append(item);
  }
  const parts: (string | HTMLElement)[] = [back, heading(`${type.kind.toLowerCase()} ${type.name}`)];
  if (type.description)
    parts.push(Object.assign(document.createElement('p'), { textContent: type.description }));
  schemaPane.replaceChildren(...parts, list);
}

let roots: { label: string; type: string | undefined }[] = [];

function showRoots(): void {
  const parts: HTMLElement[] = [];
  for (const root of roots) {
    const type = root.type ? types.get(root.type) : undefined;
    if (!type) continue;
    const list = document.createElement('ul');
    for (const field of type.fields ?? []) list.append(fieldItem(field));
    parts.push(heading(root.label), list);
  }
  schemaPane.replaceChildren(...parts);
}

async function loadSchema(): Promise<void> {
  try {
    const { status, body } = await post(INTROSPECTION_QUERY, {});
    const schema = (body as { data?: { __schema?: import('./introspection.js').IntrospectedSchema } }).data
      ?.__schema;
    if (!schema) {
      schemaPane.textContent = `No schema (HTTP ${status}): introspection may be off, or a token is needed.`;
      return;
    }
    types = new Map(schema.types.map((type) => [type.name, type]));
    roots = [
      { label: 'Queries', type: schema.queryType?.name },
      { label: 'Mutations', type: schema.mutationType?.name },
      { label: 'Subscriptions (over graphql-ws at the same address)', type: schema.subscriptionType?.name },
    ];
    showRoots();
  } catch (error) {
    schemaPane.textContent = `The schema could not be loaded: ${(error as Error).message}`;
  }
}

element<HTMLButtonElement>('run').addEventListener('click', () => void run());
document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) void run();
});
tokenInput.addEventListener('change', () => void loadSchema());
void loadSchema();
