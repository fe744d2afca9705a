import {
  getNamedType,
  GraphQLError,
  isAbstractType,
  isObjectType,
  isScalarType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { JSON_FIELD_COST, LARGE_FIELD_COST } from '@bulkhead/plugin-sdk/api';

export { JSON_FIELD_COST, LARGE_FIELD_COST };

/**
 * Limits that bound the work and memory of one GraphQL operation, checked after parsing and
 * validation and before anything is executed (HTTP: an Apollo plugin; graphql-ws: onSubscribe).
 *
 * Cost model (deliberately simple, so a client can predict it):
 * - every selected field costs 1;
 * - a field of a JSON scalar type (task inputs, finding data, alert fields) costs JSON_FIELD_COST,
 *   because its value is held whole in memory;
 * - a field declared with a `complexity` (Nest's field option) costs that: the SDK's Task.result
 *   is LARGE_FIELD_COST, as any plugin field whose value can be megabytes should be;
 * - a field with a `first` argument (a connection page) multiplies the cost of what is selected
 *   under it by `first` (when `first` is omitted, by its declared default, else DEFAULT_PAGE).
 * Fragments are expanded where they are spread. The count stops at the limit, so a document
 * built to expand exponentially costs no more to refuse than one at the limit.
 */
export interface RequestLimits {
  /** Deepest field nesting, e.g. `{ tasks { edges { node { id } } } }` is 4. */
  maxDepth: number;
  /** Fields given an alias, in the whole document. */
  maxAliases: number;
  /** See the cost model above. */
  maxCost: number;
  /** Largest `first` of a connection (the stores' own maximum). */
  maxPageSize: number;
}

/** The page size the stores use when `first` is omitted. */
export const DEFAULT_PAGE = 50;

/** Scalars whose values are arbitrary JSON. */
const JSON_SCALARS = new Set(['JSON', 'JSONObject']);

export const PARSE_MAX_TOKENS = 20_000;

type Variables = Readonly<Record<string, unknown>> | undefined;

/** A refused operation: BAD_USER_INPUT (HTTP 400) naming the limit and the setting that raises it. */
export function limitError(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 }, ...extensions } });
}

/**
 * Checks one operation of a parsed, validated document. Returns the first problem found (an
 * error naming the limit) or undefined.
 */
export function checkOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Variables,
  limits: RequestLimits,
): GraphQLError | undefined {
  const aliases = countAliases(document);
  if (aliases > limits.maxAliases) {
    return limitError(`query uses ${aliases} aliases; at most ${limits.maxAliases} are allowed (BULKHEAD_GRAPHQL_MAX_ALIASES)`, { limit: 'aliases', max: limits.maxAliases });
  }
  const nul = findNulCharacter(document, variables);
  if (nul) return nul;
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const walker = new CostWalker(schema, fragments, variables, limits);
  return walker.walk(operation.selectionSet, rootType, 1);
}

function countAliases(document: DocumentNode): number {
  let count = 0;
  const pending: SelectionSetNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) pending.push(definition.selectionSet);
  }
  for (let set = pending.pop(); set; set = pending.pop()) {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD && selection.alias) count++;
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) pending.push(selection.selectionSet);
    }
  }
  return count;
}

class CostWalker {
  private cost = 0;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly variables: Variables,
    private readonly limits: RequestLimits,
  ) {}

  /** Walks a selection set whose cost is multiplied by `multiplier`; stops at the first problem. */
  walk(set: SelectionSetNode, parent: GraphQLCompositeType, multiplier: number, depth = 1): GraphQLError | undefined {
    for (const selection of set.selections) {
      let problem: GraphQLError | undefined;
      if (selection.kind === Kind.FIELD) problem = this.field(selection, parent, multiplier, depth);
      else {
        const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? this.fragments.get(selection.name.value) : selection;
        if (!fragment) continue;
        const condition = fragment.typeCondition ? this.schema.getType(fragment.typeCondition.name.value) : parent;
        if (condition && (isObjectType(condition) || isAbstractType(condition))) problem = this.walk(fragment.selectionSet, condition, multiplier, depth);
      }
      if (problem) return problem;
    }
    return undefined;
  }

  private field(node: FieldNode, parent: GraphQLCompositeType, multiplier: number, depth: number): GraphQLError | undefined {
    const name = node.alias?.value ?? node.name.value;
    if (depth > this.limits.maxDepth) {
      return limitError(`query is nested deeper than ${this.limits.maxDepth} levels at "${name}" (BULKHEAD_GRAPHQL_MAX_DEPTH)`, { limit: 'depth', max: this.limits.maxDepth });
    }
    const definition = fieldDefinition(this.schema, parent, node.name.value);
    const type = definition ? getNamedType(definition.type) : undefined;
    this.cost += multiplier * fieldCost(definition);
    if (this.cost > this.limits.maxCost) {
      return limitError(`query costs more than ${this.limits.maxCost} (BULKHEAD_GRAPHQL_MAX_COST; a field costs 1, a JSON field ${JSON_FIELD_COST}, a task result ${LARGE_FIELD_COST}, and a page multiplies what is under it by its size)`, {
        limit: 'cost',
        max: this.limits.maxCost,
      });
    }
    if (!node.selectionSet || !type || !(isObjectType(type) || isAbstractType(type))) return undefined;
    const first = definition?.args.find((arg) => arg.name === 'first');
    const page = first ? this.pageSize(node, name, typeof first.defaultValue === 'number' ? first.defaultValue : DEFAULT_PAGE) : 1;
    if (page instanceof GraphQLError) return page;
    return this.walk(node.selectionSet, type, multiplier * page, depth + 1);
  }

  /** The `first` of a connection field: a literal or a variable; over the maximum → refused. */
  private pageSize(node: FieldNode, name: string, fallback: number): number | GraphQLError {
    const argument = node.arguments?.find((arg) => arg.name.value === 'first');
    const value = argument ? valueOf(argument.value, this.variables) : undefined;
    // Omitted: the argument's declared default (Task.logs pages 200), else the stores' default.
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number') return 1;
    if (value > this.limits.maxPageSize) {
      return limitError(`${name}: first must be at most ${this.limits.maxPageSize} (got ${value}); fetch further pages with \`after\``, { field: name, limit: 'first', max: this.limits.maxPageSize });
    }
    return Math.max(value, 1);
  }
}

function fieldCost(definition: GraphQLField<unknown, unknown> | undefined): number {
  const declared = definition?.extensions?.['complexity'];
  if (typeof declared === 'number' && declared >= 0) return declared;
  const type = definition ? getNamedType(definition.type) : undefined;
  return type && isScalarType(type) && JSON_SCALARS.has(type.name) ? JSON_FIELD_COST : 1;
}

/** As graphql-js resolves it: the introspection fields (`__schema`, `__type`, `__typename`) are not in getFields(). */
function fieldDefinition(schema: GraphQLSchema, parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === '__typename') return TypeNameMetaFieldDef;
  if (parent === schema.getQueryType()) {
    if (name === '__schema') return SchemaMetaFieldDef;
    if (name === '__type') return TypeMetaFieldDef;
  }
  return 'getFields' in parent ? parent.getFields()[name] : undefined;
}

function valueOf(node: ValueNode, variables: Variables): unknown {
  if (node.kind === Kind.VARIABLE) return variables?.[node.name.value];
  if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return Number(node.value);
  return undefined;
}

const NUL = '\u0000';

/**
 * Postgres cannot store U+0000 in text or jsonb (a write would fail deep in the database): a
 * string argument or variable that contains it is refused here, naming where it is.
 */
export function findNulCharacter(document: DocumentNode, variables: Variables): GraphQLError | undefined {
  const refuse = (where: string): GraphQLError =>
    limitError(`${where} contains a NUL character (\\u0000), which cannot be stored`, { field: where });
  for (const [name, value] of Object.entries(variables ?? {})) {
    const where = nulPath(value, `$${name}`);
    if (where) return refuse(where);
  }
  const pending: { node: ValueNode; where: string }[] = [];
  const collect = (set: SelectionSetNode): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        for (const argument of selection.arguments ?? []) pending.push({ node: argument.value, where: `${selection.name.value}(${argument.name.value})` });
      }
      if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) collect(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) collect(definition.selectionSet);
  }
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { node, where } = item;
    if (node.kind === Kind.STRING && node.value.includes(NUL)) return refuse(where);
    if (node.kind === Kind.LIST) node.values.forEach((value, i) => pending.push({ node: value, where: `${where}[${i}]` }));
    if (node.kind === Kind.OBJECT) for (const field of node.fields) pending.push({ node: field.value, where: `${where}.${field.name.value}` });
  }
  return undefined;
}

/** The path of the first string (or object key) containing NUL in a JSON value; iterative, so any depth is safe. */
function nulPath(root: unknown, rootPath: string): string | undefined {
  const pending: { value: unknown; path: string }[] = [{ value: root, path: rootPath }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    const { value, path } = item;
    if (typeof value === 'string') {
      if (value.includes(NUL)) return path;
    } else if (Array.isArray(value)) {
      value.forEach((element, i) => pending.push({ value: element, path: `${path}[${i}]` }));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, element] of Object.entries(value)) {
        if (key.includes(NUL)) return `${path} (a key)`;
        pending.push({ value: element, path: `${path}.${key}` });
      }
    }
  }
  return undefined;
}
