import { Link, useParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import { ConnectionPager, FilterBar, SelectFilter } from '../components/filters';
import { nodesOf, usePagedQuery } from '../components/paged';
import type { BenchmarkRunQuery, BenchmarkRunsQuery } from '../gql/graphql';
import { ErrorNote, formatTime, Loading, SeverityBadge, StatusBadge, useUrlFilter } from '../ui';

type RunRow = BenchmarkRunsQuery['benchmarkRuns']['edges'][number]['node'];
const RESULTS = ['FAIL', 'WARN', 'PASS', 'INFO', 'SKIP'] as const;

const RunsQuery = graphql(`
  query BenchmarkRuns($first: Int, $after: String) {
    benchmarkRuns(first: $first, after: $after) {
      totalCount
      pageInfo {
        ...KeysetPage
      }
      edges {
        node {
          id
          type
          profile
          target
          title
          status
          createdAt
          summary {
            pass
            fail
            warn
            info
            skip
            total
          }
        }
      }
    }
  }
`);

const RunQuery = graphql(`
  query BenchmarkRun($id: ID!, $status: [BenchmarkStatus!]) {
    benchmarkRun(id: $id) {
      id
      title
      profile
      target
      status
      createdAt
      error
      summary {
        pass
        fail
        warn
        total
      }
      controls(status: $status) {
        id
        title
        status
        severity
        message
        file
        line
        remediation
        target
      }
    }
  }
`);

/** Benchmark runs; a run's per-check results with file:line and remediation; the trend from one run of a profile to the next. */
export default function BenchmarksView() {
  const id = useParams()['id'];
  return id ? <RunDetail id={id} /> : <RunList />;
}

function RunList() {
  const [{ data, error, fetching }] = usePagedQuery(RunsQuery, {});
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const runs = nodesOf(data.benchmarkRuns);
  // Trend: failures against the next older run of the same profile and target on this page.
  const trend = (run: RunRow): string => {
    const index = runs.indexOf(run);
    const older = runs.slice(index + 1).find((r) => r.profile === run.profile && r.target === run.target && r.summary);
    const before = older?.summary?.fail ?? null;
    const delta = before === null || !run.summary ? null : run.summary.fail - before;
    return delta === null ? '—' : delta === 0 ? 'unchanged' : delta > 0 ? `+${delta} worse` : `${delta} better`;
  };
  const columns: Column<RunRow>[] = [
    { header: 'Run', cell: (run) => <Link to={`/benchmarks/${run.id}`}>{run.title ?? run.profile ?? run.type}</Link> },
    { header: 'Target', cell: (run) => run.target ?? '—', className: 'mono' },
    { header: 'Status', cell: (run) => <StatusBadge status={run.status} /> },
    { header: 'Pass / fail / warn', cell: (run) => (run.summary ? `${run.summary.pass} / ${run.summary.fail} / ${run.summary.warn}` : '—') },
    { header: 'Trend (failures)', cell: trend },
    { header: 'Created', cell: (run) => formatTime(run.createdAt) },
  ];
  return (
    <>
      <h1>Benchmarks</h1>
      <DataTable caption="Benchmark runs, newest first" columns={columns} rows={runs} rowKey={(run) => run.id} />
      <ConnectionPager connection={data.benchmarkRuns} />
    </>
  );
}

function RunDetail({ id }: { id: string }) {
  const [params, update] = useUrlFilter();
  const status = params.get('status');
  const [{ data, error, fetching }] = useQuery({ query: RunQuery, variables: { id, status: status ? [status as 'FAIL'] : null } });
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const run = data.benchmarkRun;
  if (!run) return <h1>No benchmark run {id} in your team</h1>;
  return (
    <>
      <h1>{run.title ?? run.profile ?? 'Benchmark run'}</h1>
      <p>
        <StatusBadge status={run.status} /> {run.target} · {formatTime(run.createdAt)} {run.summary ? `· ${run.summary.pass} pass, ${run.summary.fail} fail, ${run.summary.warn} warn` : ''}
      </p>
      <ErrorNote error={run.error} />
      <FilterBar labelled={false}>
        <SelectFilter id="b-status" label="Result" value={status} options={RESULTS} onChange={(value) => update({ status: value })} />
      </FilterBar>
      <DataTable caption="Checks" columns={CHECK_COLUMNS} rows={run.controls} rowKey={(c, i) => `${c.id}-${i}`} />
    </>
  );
}

const CHECK_COLUMNS: Column<NonNullable<BenchmarkRunQuery['benchmarkRun']>['controls'][number]>[] = [
  {
    header: 'Check',
    cell: (c) => (
      <>
        <SeverityBadge severity={c.severity} /> {c.id} {c.title}
        <div className="muted">{c.message}</div>
      </>
    ),
  },
  { header: 'Result', cell: (c) => <StatusBadge status={c.status} /> },
  { header: 'Where', cell: (c) => (c.file ? `${c.file}${c.line ? `:${c.line}` : ''}` : c.target), className: 'mono' },
  { header: 'Remediation', cell: (c) => c.remediation ?? '—' },
];
