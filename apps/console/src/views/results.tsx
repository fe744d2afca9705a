import { Link, useParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { DataTable } from '../components/data-table';
import { ErrorNote, Loading, Pager, useUrlFilter } from '../ui';

/*
 * The generic view: any list a plugin adds to Query (a `…Connection` with first/after, or a list
 * of objects) is shown from its GraphQL type, read by introspection, so a new result kind
 * appears here without a console change. Documents are built at run time, hence untyped.
 */
const SCHEMA = `
  query ResultKinds {
    __schema {
      queryType {
        fields {
          name
          description
          args { name type { kind } }
          type { ...T }
        }
      }
    }
  }
  fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
`;

const TYPE = `
  query ResultType($name: String!) {
    __type(name: $name) {
      name
      fields {
        name
        args { name type { kind } }
        type { kind name ofType { kind name ofType { kind name } } }
      }
    }
  }
`;

interface TypeRef {
  kind: string;
  name: string | null;
  ofType?: TypeRef | null;
}
interface Field {
  name: string;
  description?: string | null;
  args: { name: string; type: { kind: string } }[];
  type: TypeRef;
}

const named = (type: TypeRef): TypeRef => (type.ofType ? named(type.ofType) : type);
const isList = (type: TypeRef): boolean => type.kind === 'LIST' || (type.ofType ? isList(type.ofType) : false);
const optionalArgs = (field: Field) => field.args.every((a) => a.type.kind !== 'NON_NULL');
/** The console's own views cover these; the generic view lists the rest. */
const OWN_VIEWS = new Set(['images', 'findings', 'tasks', 'alerts', 'benchmarkRuns', 'schedules', 'apiTokens', 'auditLog', 'notificationChannels', 'signingKeys', 'me']);
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

export default function ResultsView() {
  const field = useParams()['field'];
  const [{ data, error, fetching }] = useQuery<{ __schema: { queryType: { fields: Field[] } } }>({ query: SCHEMA });
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const kinds = data.__schema.queryType.fields.filter((f) => optionalArgs(f) && named(f.type).kind === 'OBJECT' && (named(f.type).name?.endsWith('Connection') || isList(f.type)) && !OWN_VIEWS.has(f.name));
  const chosen = kinds.find((k) => k.name === field);
  return (
    <>
      <h1>Plugin results{chosen ? `: ${chosen.name}` : ''}</h1>
      <nav aria-label="Result kinds">
        <ul className="chips">
          {kinds.map((k) => (
            <li key={k.name}>
              <Link to={`/results/${k.name}`} aria-current={k.name === field ? 'page' : undefined} title={k.description ?? undefined}>
                {k.name}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {field && !chosen ? <p>No list named {field} in the API.</p> : null}
      {chosen ? <ResultTable field={chosen} /> : null}
    </>
  );
}

function ResultTable({ field }: { field: Field }) {
  const outer = named(field.type);
  const connection = outer.name?.endsWith('Connection') ?? false;
  // A connection's node type is the type of edges.node; ask for it by the naming convention of ConnectionType.
  const nodeName = connection ? (outer.name ?? '').replace(/Connection$/, '') : (outer.name ?? '');
  const [typeResult] = useQuery<{ __type: { fields: Field[] } | null }>({ query: TYPE, variables: { name: nodeName } });
  const columns = (typeResult.data?.__type?.fields ?? []).filter((f) => optionalArgs(f) && ['SCALAR', 'ENUM'].includes(named(f.type).kind) && NAME.test(f.name)).map((f) => f.name);
  return typeResult.data ? <Rows field={field} connection={connection} columns={columns} /> : typeResult.error ? <ErrorNote error={typeResult.error} /> : <Loading />;
}

function Rows({ field, connection, columns }: { field: Field; connection: boolean; columns: string[] }) {
  const [params] = useUrlFilter();
  const pageable = connection && field.args.some((a) => a.name === 'first') && field.args.some((a) => a.name === 'after');
  const selection = columns.join(' ');
  const query = pageable
    ? `query($first: Int, $after: String) { r: ${field.name}(first: $first, after: $after) { totalCount pageInfo { endCursor hasNextPage } edges { node { ${selection} } } } }`
    : connection
      ? `query { r: ${field.name} { edges { node { ${selection} } } } }`
      : `query { r: ${field.name} { ${selection} } }`;
  const [{ data, error, fetching }] = useQuery<{ r: unknown }>({ query, variables: pageable ? { first: 50, after: params.get('after') } : {} });
  if (columns.length === 0) return <p>This type has no plain fields to show.</p>;
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const page = data.r as { totalCount?: number; pageInfo?: { endCursor: string | null; hasNextPage: boolean }; edges?: { node: Record<string, unknown> }[] } | Record<string, unknown>[];
  const rows = Array.isArray(page) ? page : (page.edges ?? []).map((e) => e.node);
  return (
    <>
      <DataTable caption={field.description ?? field.name} columns={columns.map((c) => ({ header: c, cell: (row: Record<string, unknown>) => (typeof row[c] === 'object' ? JSON.stringify(row[c]) : String(row[c] ?? '—')) }))} rows={rows} rowKey={(_, i) => String(i)} />
      {!Array.isArray(page) && page.pageInfo ? <Pager endCursor={page.pageInfo.endCursor} hasNextPage={page.pageInfo.hasNextPage} total={page.totalCount} shown={rows.length} /> : null}
    </>
  );
}
