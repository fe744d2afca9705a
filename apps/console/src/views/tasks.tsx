import { Link } from 'react-router-dom';
import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import { ConnectionPager, FilterBar, SelectFilter, TextFilter } from '../components/filters';
import { nodesOf, usePagedQuery } from '../components/paged';
import type { TasksQuery as TasksData } from '../gql/graphql';
import { ErrorNote, formatTime, Loading, StatusBadge, useUrlFilter } from '../ui';

const TasksQuery = graphql(`
  query Tasks($first: Int, $after: String, $filter: TaskFilter) {
    tasks(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...KeysetPage
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
type TaskRow = TasksData['tasks']['edges'][number]['node'];

const COLUMNS: Column<TaskRow>[] = [
  {
    header: 'Task',
    cell: (node) => (
      <>
        <Link to={`/tasks/${node.id}`}>{node.type}</Link> <span className="mono muted">{node.id.slice(0, 8)}</span>
      </>
    ),
  },
  { header: 'Kind', cell: (node) => node.kind },
  { header: 'Status', cell: (node) => <StatusBadge status={node.status} /> },
  { header: 'Progress', cell: (node) => `${Math.round(node.progress * 100)}%` },
  { header: 'Created', cell: (node) => formatTime(node.createdAt) },
  { header: 'Error', cell: (node) => node.error ?? '' },
];

export default function TasksView() {
  const [params, update] = useUrlFilter();
  const status = params.get('status');
  const type = params.get('type');
  const filter = { ...(status ? { status: status as (typeof STATUSES)[number] } : {}), ...(type ? { type } : {}) };
  const [{ data, error, fetching }] = usePagedQuery(TasksQuery, { filter });
  return (
    <>
      <h1>Tasks</h1>
      <FilterBar>
        <SelectFilter id="t-status" label="Status" value={status} options={STATUSES} onChange={(value) => update({ status: value })} />
        <TextFilter id="t-type" label="Type" value={type} onCommit={(value) => update({ type: value })} />
      </FilterBar>
      {fetching && !data ? <Loading /> : null}
      <ErrorNote error={error} />
      {data ? (
        <>
          <DataTable caption="Tasks, newest first" columns={COLUMNS} rows={nodesOf(data.tasks)} rowKey={(node) => node.id} />
          <ConnectionPager connection={data.tasks} />
        </>
      ) : null}
    </>
  );
}
