import { useQuery } from 'urql';
import { graphql } from '../gql';
import { ErrorNote, formatTime, Loading, Pager, SEVERITIES, SeverityBadge, StatusBadge, useUrlFilter } from '../ui';
import { Can } from '../viewer';
import { SuppressControls } from './suppress';

const FindingsQuery = graphql(`
  query Findings($first: Int, $after: String, $filter: FindingFilter) {
    findings(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
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
        }
      }
    }
  }
`);

const KINDS = ['SCANNER', 'BENCHMARK', 'RUNTIME', 'SIGNER'] as const;
const STATUSES = ['OPEN', 'SUPPRESSED', 'RESOLVED'] as const;

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
  const [{ data, error, fetching }, refetch] = useQuery({ query: FindingsQuery, variables: { first: 50, after: params.get('after'), filter } });
  return (
    <>
      <h1>Findings</h1>
      <div className="filters" role="group" aria-label="Filters">
        <label htmlFor="f-status">Status</label>
        <select id="f-status" value={status} onChange={(e) => update({ status: e.target.value })}>
          {STATUSES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <label htmlFor="f-severity">Severity</label>
        <select id="f-severity" value={severity ?? ''} onChange={(e) => update({ severity: e.target.value })}>
          <option value="">any</option>
          {SEVERITIES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <label htmlFor="f-kind">Kind</label>
        <select id="f-kind" value={kind ?? ''} onChange={(e) => update({ kind: e.target.value })}>
          <option value="">any</option>
          {KINDS.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <label htmlFor="f-target">Target</label>
        <input id="f-target" defaultValue={target ?? ''} onBlur={(e) => update({ target: e.target.value.trim() })} onKeyDown={(e) => e.key === 'Enter' && update({ target: e.currentTarget.value.trim() })} />
      </div>
      {fetching && !data ? <Loading /> : null}
      <ErrorNote error={error} />
      {data ? (
        <>
          <p data-testid="findings-total">{data.findings.totalCount} findings</p>
          <table>
            <caption>Findings, most recently seen first</caption>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Rule</th>
                <th scope="col">Title</th>
                <th scope="col">Target</th>
                <th scope="col">Where</th>
                <th scope="col">Status</th>
                <th scope="col">Last seen</th>
                <Can role="operator">
                  <th scope="col">Action</th>
                </Can>
              </tr>
            </thead>
            <tbody>
              {data.findings.edges.map(({ node }) => (
                <tr key={node.id}>
                  <td>
                    <SeverityBadge severity={node.severity} />
                  </td>
                  <td>{node.ruleId}</td>
                  <td>{node.title}</td>
                  <td className="mono">{node.target}</td>
                  <td className="mono">{node.location ?? '—'}</td>
                  <td>
                    <StatusBadge status={node.status} />
                    {node.reopened ? ' (reopened)' : ''}
                  </td>
                  <td>{formatTime(node.lastSeenAt)}</td>
                  <Can role="operator">
                    <td>
                      <SuppressControls id={node.id} status={node.status} label={node.ruleId} onDone={() => refetch({ requestPolicy: 'network-only' })} />
                    </td>
                  </Can>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager endCursor={data.findings.pageInfo.endCursor} hasNextPage={data.findings.pageInfo.hasNextPage} total={data.findings.totalCount} shown={data.findings.edges.length} />
        </>
      ) : null}
    </>
  );
}
