import { Link } from 'react-router-dom';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { ErrorNote, formatTime, Loading, Pager, StatusBadge, useUrlFilter } from '../ui';

const TasksQuery = graphql(`
  query Tasks($first: Int, $after: String, $filter: TaskFilter) {
    tasks(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      edges {
        node {
          id
          kind
          type
          status
          progress
          createdAt
          finishedAt
          error
        }
      }
    }
  }
`);

const STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;

export default function TasksView() {
  const [params, update] = useUrlFilter();
  const status = params.get('status');
  const type = params.get('type');
  const filter = { ...(status ? { status: status as (typeof STATUSES)[number] } : {}), ...(type ? { type } : {}) };
  const [{ data, error, fetching }] = useQuery({ query: TasksQuery, variables: { first: 50, after: params.get('after'), filter } });
  return (
    <>
      <h1>Tasks</h1>
      <div className="filters" role="group" aria-label="Filters">
        <label htmlFor="t-status">Status</label>
        <select id="t-status" value={status ?? ''} onChange={(e) => update({ status: e.target.value })}>
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <label htmlFor="t-type">Type</label>
        <input id="t-type" defaultValue={type ?? ''} onKeyDown={(e) => e.key === 'Enter' && update({ type: e.currentTarget.value.trim() })} onBlur={(e) => update({ type: e.target.value.trim() })} />
      </div>
      {fetching && !data ? <Loading /> : null}
      <ErrorNote error={error} />
      {data ? (
        <>
          <table>
            <caption>Tasks, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Created</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {data.tasks.edges.map(({ node }) => (
                <tr key={node.id}>
                  <td>
                    <Link to={`/tasks/${node.id}`}>{node.type}</Link> <span className="mono muted">{node.id.slice(0, 8)}</span>
                  </td>
                  <td>{node.kind}</td>
                  <td>
                    <StatusBadge status={node.status} />
                  </td>
                  <td>{Math.round(node.progress * 100)}%</td>
                  <td>{formatTime(node.createdAt)}</td>
                  <td>{node.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager endCursor={data.tasks.pageInfo.endCursor} hasNextPage={data.tasks.pageInfo.hasNextPage} total={data.tasks.totalCount} shown={data.tasks.edges.length} />
        </>
      ) : null}
    </>
  );
}
