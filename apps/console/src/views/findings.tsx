import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import { ConnectionPager, FilterBar, SelectFilter, TextFilter } from '../components/filters';
import { nodesOf, usePagedQuery } from '../components/paged';
import type { FindingsQuery as FindingsData } from '../gql/graphql';
import { ErrorNote, formatTime, Loading, SEVERITIES, SeverityBadge, StatusBadge, useUrlFilter } from '../ui';
import { SuppressControls, SuppressionNote } from './suppress';

const FindingsQuery = graphql(`
  query Findings($first: Int, $after: String, $filter: FindingFilter) {
    findings(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...KeysetPage
      }
      edges {
        node {
          id
          kind
          ruleId
          title
          severity
          status
          target
          location
          lastSeenAt
          reopened
          suppression {
            reason
            justification
            expiresAt
            suppressedBy
          }
        }
      }
    }
  }
`);

const KINDS = ['SCANNER', 'BENCHMARK', 'RUNTIME', 'SIGNER'] as const;
const STATUSES = ['OPEN', 'SUPPRESSED', 'RESOLVED'] as const;
type FindingRow = FindingsData['findings']['edges'][number]['node'];

/** Findings with the API's own filters (FindingFilter), each kept in the URL so a view can be shared. */
export default function FindingsView() {
  const [params, update] = useUrlFilter();
  const severity = params.get('severity');
  const status = params.get('status') ?? 'OPEN';
  const kind = params.get('kind');
  const target = params.get('target');
  const filter = {
    status: status as (typeof STATUSES)[number],
    ...(severity ? { severities: [severity as (typeof SEVERITIES)[number]] } : {}),
    ...(kind ? { kind: kind as (typeof KINDS)[number] } : {}),
    ...(target ? { target } : {}),
  };
  const [{ data, error, fetching }, refetch] = usePagedQuery(FindingsQuery, { filter });
  const columns: Column<FindingRow>[] = [
    { header: 'Severity', cell: (node) => <SeverityBadge severity={node.severity} /> },
    { header: 'Rule', cell: (node) => node.ruleId },
    { header: 'Title', cell: (node) => node.title },
    { header: 'Target', cell: (node) => node.target, className: 'mono' },
    { header: 'Where', cell: (node) => node.location ?? '—', className: 'mono' },
    {
      header: 'Status',
      cell: (node) => (
        <>
          <StatusBadge status={node.status} />
          {node.reopened ? ' (reopened)' : ''} <SuppressionNote suppression={node.suppression} />
        </>
      ),
    },
    { header: 'Last seen', cell: (node) => formatTime(node.lastSeenAt) },
    { header: 'Action', role: 'operator', cell: (node) => <SuppressControls id={node.id} status={node.status} label={node.ruleId} onDone={() => refetch({ requestPolicy: 'network-only' })} /> },
  ];
  return (
    <>
      <h1>Findings</h1>
      <FilterBar>
        <SelectFilter id="f-status" label="Status" value={status} options={STATUSES} any={false} onChange={(value) => update({ status: value })} />
        <SelectFilter id="f-severity" label="Severity" value={severity} options={SEVERITIES} onChange={(value) => update({ severity: value })} />
        <SelectFilter id="f-kind" label="Kind" value={kind} options={KINDS} onChange={(value) => update({ kind: value })} />
        <TextFilter id="f-target" label="Target" value={target} onCommit={(value) => update({ target: value })} />
      </FilterBar>
      {fetching && !data ? <Loading /> : null}
      <ErrorNote error={error} />
      {data ? (
        <>
          <p data-testid="findings-total">{data.findings.totalCount} findings</p>
          <DataTable caption="Findings, most recently seen first" columns={columns} rows={nodesOf(data.findings)} rowKey={(node) => node.id} />
          <ConnectionPager connection={data.findings} />
        </>
      ) : null}
    </>
  );
}
