import { Link, useParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { ErrorNote, formatTime, Loading, Pager, SeverityBadge, StatusBadge, useUrlFilter } from '../ui';

const RunsQuery = graphql(`
  query BenchmarkRuns($first: Int, $after: String) {
    benchmarkRuns(first: $first, after: $after) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
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
  const [params] = useUrlFilter();
  const [{ data, error, fetching }] = useQuery({ query: RunsQuery, variables: { first: 50, after: params.get('after') } });
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const runs = data.benchmarkRuns.edges.map((e) => e.node);
  // Trend: failures against the next older run of the same profile and target on this page.
  const previousFail = (index: number): number | null => {
    const run = runs[index];
    const older = runs.slice(index + 1).find((r) => r.profile === run?.profile && r.target === run?.target && r.summary);
    return older?.summary?.fail ?? null;
  };
  return (
    <>
      <h1>Benchmarks</h1>
      <table>
        <caption>Benchmark runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Target</th>
            <th scope="col">Status</th>
            <th scope="col">Pass / fail / warn</th>
            <th scope="col">Trend (failures)</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run, i) => {
            const before = previousFail(i);
            const delta = before === null || !run.summary ? null : run.summary.fail - before;
            return (
              <tr key={run.id}>
                <td>
                  <Link to={`/benchmarks/${run.id}`}>{run.title ?? run.profile ?? run.type}</Link>
                </td>
                <td className="mono">{run.target ?? '—'}</td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td>{run.summary ? `${run.summary.pass} / ${run.summary.fail} / ${run.summary.warn}` : '—'}</td>
                <td>{delta === null ? '—' : delta === 0 ? 'unchanged' : delta > 0 ? `+${delta} worse` : `${delta} better`}</td>
                <td>{formatTime(run.createdAt)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <Pager endCursor={data.benchmarkRuns.pageInfo.endCursor} hasNextPage={data.benchmarkRuns.pageInfo.hasNextPage} total={data.benchmarkRuns.totalCount} shown={runs.length} />
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
      <div className="filters">
        <label htmlFor="b-status">Result</label>
        <select id="b-status" value={status ?? ''} onChange={(e) => update({ status: e.target.value })}>
          <option value="">any</option>
          {['FAIL', 'WARN', 'PASS', 'INFO', 'SKIP'].map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </div>
      <table>
        <caption>Checks</caption>
        <thead>
          <tr>
            <th scope="col">Check</th>
            <th scope="col">Result</th>
            <th scope="col">Where</th>
            <th scope="col">Remediation</th>
          </tr>
        </thead>
        <tbody>
          {run.controls.map((c, i) => (
            <tr key={`${c.id}-${i}`}>
              <td>
                <SeverityBadge severity={c.severity} /> {c.id} {c.title}
                <div className="muted">{c.message}</div>
              </td>
              <td>
                <StatusBadge status={c.status} />
              </td>
              <td className="mono">{c.file ? `${c.file}${c.line ? `:${c.line}` : ''}` : c.target}</td>
              <td>{c.remediation ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
