import { useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import { ErrorNote, formatTime, Loading, Pager, SeverityBadge, useUrlFilter } from '../ui';


const AlertsQuery = graphql(`
  query Alerts($first: Int, $after: String, $filter: AlertFilter) {
    alerts(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      edges {
        node {
          id
          rule
          priority
          severity
          output
          target
          hostname
          source
          time
          outputFields
        }
      }
    }
  }
`);

const AlertRaised = graphql(`
  subscription AlertRaised($filter: AlertFilter) {
    alertRaised(filter: $filter) {
      id
      rule
      priority
      severity
      output
      target
      hostname
      source
      time
      outputFields
    }
  }
`);

const PRIORITIES = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFORMATIONAL', 'DEBUG'] as const;
type Priority = (typeof PRIORITIES)[number];

interface AlertRow {
  id: string;
  rule: string;
  priority: string;
  severity: string;
  output: string;
  target: string;
  hostname?: string | null;
  time: string;
  outputFields: unknown;
}

/** Runtime alerts: new ones arrive live (alertRaised), older ones page from the API; filters in the URL. */
export default function AlertsView() {
  const [params, update] = useUrlFilter();
  const filter = {
    ...(params.get('rule') ? { rule: params.get('rule') } : {}),
    ...(params.get('priority') ? { priority: params.get('priority') as Priority } : {}),
    ...(params.get('namespace') ? { namespace: params.get('namespace') } : {}),
    ...(params.get('image') ? { image: params.get('image') } : {}),
  };
  const [{ data, error, fetching }] = useQuery({ query: AlertsQuery, variables: { first: 50, after: params.get('after'), filter } });
  const [live] = useSubscription({ query: AlertRaised, variables: { filter } }, (previous: AlertRow[] = [], update) => [update.alertRaised, ...previous].slice(0, 200));
  const [open, setOpen] = useState<string | null>(null);
  const text = (key: string, label: string) => (
    <>
      <label htmlFor={`a-${key}`}>{label}</label>
      <input id={`a-${key}`} defaultValue={params.get(key) ?? ''} onKeyDown={(e) => e.key === 'Enter' && update({ [key]: e.currentTarget.value.trim() })} onBlur={(e) => update({ [key]: e.target.value.trim() })} />
    </>
  );
  const liveRows = live.data ?? [];
  const rows = (alerts: readonly AlertRow[], caption: string, testId: string) => (
    <table data-testid={testId}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Priority</th>
          <th scope="col">Rule</th>
          <th scope="col">Target</th>
          <th scope="col">Output</th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr key={a.id}>
            <td>{formatTime(a.time)}</td>
            <td>
              <SeverityBadge severity={a.severity} /> {a.priority}
            </td>
            <td>{a.rule}</td>
            <td className="mono">{a.target}</td>
            <td>
              <button type="button" className="link" aria-expanded={open === a.id} onClick={() => setOpen(open === a.id ? null : a.id)}>
                {a.output.slice(0, 160)}
              </button>
              {open === a.id ? <pre aria-label="The event that fired it">{JSON.stringify({ hostname: a.hostname, ...(a.outputFields as object) }, null, 2)}</pre> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <>
      <h1>Runtime alerts</h1>
      <div className="filters" role="group" aria-label="Filters">
        {text('rule', 'Rule')}
        <label htmlFor="a-priority">Priority</label>
        <select id="a-priority" value={params.get('priority') ?? ''} onChange={(e) => update({ priority: e.target.value })}>
          <option value="">any</option>
          {PRIORITIES.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        {text('namespace', 'Namespace')}
        {text('image', 'Image')}
      </div>
      <p role="status" aria-live="polite" className="muted" data-testid="live-state">
        {live.error ? `Live stream stopped: ${live.error.message}` : `Live: ${liveRows.length} new since this page opened`}
      </p>
      {liveRows.length > 0 ? rows(liveRows, 'New alerts (live)', 'live-alerts') : null}
      {fetching && !data ? <Loading /> : null}
      <ErrorNote error={error} />
      {data ? (
        <>
          {rows(
            data.alerts.edges.map((e) => e.node),
            'Alerts, newest first',
            'alerts',
          )}
          <Pager endCursor={data.alerts.pageInfo.endCursor} hasNextPage={data.alerts.pageInfo.hasNextPage} total={data.alerts.totalCount} shown={data.alerts.edges.length} />
        </>
      ) : null}
    </>
  );
}
