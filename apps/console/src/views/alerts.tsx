import { useMemo, useState } from 'react';
import { useSubscription } from 'urql';
import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import { ConnectionPager, FilterBar, SelectFilter, TextFilter } from '../components/filters';
import { nodesOf, usePagedQuery } from '../components/paged';
import type { AlertFieldsFragment } from '../gql/graphql';
import { ErrorNote, formatTime, Loading, SeverityBadge, useUrlFilter } from '../ui';

/** The fields of an alert, the same for a page of history and for one that arrives live. */
graphql(`
  fragment AlertFields on Alert {
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
`);

const AlertsQuery = graphql(`
  query Alerts($first: Int, $after: String, $filter: AlertFilter) {
    alerts(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...KeysetPage
      }
      edges {
        node {
          ...AlertFields
        }
      }
    }
  }
`);

const AlertRaised = graphql(`
  subscription AlertRaised($filter: AlertFilter) {
    alertRaised(filter: $filter) {
      ...AlertFields
    }
  }
`);

const PRIORITIES = ['EMERGENCY', 'ALERT', 'CRITICAL', 'ERROR', 'WARNING', 'NOTICE', 'INFORMATIONAL', 'DEBUG'] as const;
type Priority = (typeof PRIORITIES)[number];

/** The time windows of the `since` URL parameter (AlertFilter.from = now minus the window); absent or `all`: all. */
export const SINCE_WINDOWS = { '1h': { label: 'last hour', ms: 3_600_000 }, '24h': { label: 'last 24 h', ms: 86_400_000 }, '7d': { label: 'last 7 days', ms: 604_800_000 } } as const;
type Since = keyof typeof SINCE_WINDOWS;
const isSince = (value: string): value is Since => Object.hasOwn(SINCE_WINDOWS, value);

/** An alert row: a page's node and a live one share the AlertFields fragment. */
type AlertRow = AlertFieldsFragment;

/** Runtime alerts: new ones arrive live (alertRaised), older ones page from the API; filters in the URL. */
export default function AlertsView() {
  const [params, update] = useUrlFilter();
  const since = params.get('since');
  const sinceWindow = since && isSince(since) ? since : null;
  // The start of the window, computed when the window is chosen (not on every render: a new
  // `from` is a new query and a new subscription).
  const from = useMemo(() => (sinceWindow ? new Date(Date.now() - SINCE_WINDOWS[sinceWindow].ms).toISOString() : null), [sinceWindow]);
  const filter = {
    ...(from ? { from } : {}),
    ...(params.get('rule') ? { rule: params.get('rule') } : {}),
    ...(params.get('priority') ? { priority: params.get('priority') as Priority } : {}),
    ...(params.get('namespace') ? { namespace: params.get('namespace') } : {}),
    ...(params.get('image') ? { image: params.get('image') } : {}),
    ...(params.get('pod') ? { pod: params.get('pod') } : {}),
  };
  const [{ data, error, fetching }] = usePagedQuery(AlertsQuery, { filter });
  const [live] = useSubscription({ query: AlertRaised, variables: { filter } }, (previous: AlertRow[] = [], update) => [update.alertRaised, ...previous].slice(0, 200));
  const [open, setOpen] = useState<string | null>(null);
  const columns: Column<AlertRow>[] = [
    { header: 'Time', cell: (a) => formatTime(a.time) },
    {
      header: 'Priority',
      cell: (a) => (
        <>
          <SeverityBadge severity={a.severity} /> {a.priority}
        </>
      ),
    },
    { header: 'Rule', cell: (a) => a.rule },
    { header: 'Target', cell: (a) => a.target, className: 'mono' },
    {
      header: 'Output',
      cell: (a) => (
        <>
          <button type="button" className="link" aria-expanded={open === a.id} onClick={() => setOpen(open === a.id ? null : a.id)}>
            {a.output.slice(0, 160)}
          </button>
          {open === a.id ? <pre aria-label="The event that fired it">{JSON.stringify({ hostname: a.hostname, ...(a.outputFields as object) }, null, 2)}</pre> : null}
        </>
      ),
    },
  ];
  const text = (key: string, label: string) => <TextFilter id={`a-${key}`} label={label} value={params.get(key)} onCommit={(value) => update({ [key]: value })} />;
  const liveRows = live.data ?? [];
  return (
    <>
      <h1>Runtime alerts</h1>
      <FilterBar>
        {text('rule', 'Rule')}
        <SelectFilter id="a-priority" label="Priority" value={params.get('priority')} options={PRIORITIES} onChange={(value) => update({ priority: value })} />
        {text('namespace', 'Namespace')}
        {text('pod', 'Pod')}
        {text('image', 'Image')}
        <label htmlFor="a-since">Time</label>
        <select id="a-since" value={sinceWindow ?? ''} onChange={(e) => update({ since: e.target.value })}>
          {Object.entries(SINCE_WINDOWS).map(([value, { label }]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
          <option value="">all time</option>
        </select>
      </FilterBar>
      {since && since !== 'all' && !sinceWindow ? (
        <p role="alert" className="error">
          Unknown time window since={since}: expected {Object.keys(SINCE_WINDOWS).join(', ')} or all; showing all alerts.
        </p>
      ) : null}
      <p role="status" aria-live="polite" className="muted" data-testid="live-state">
        {live.error ? `Live stream stopped: ${live.error.message}` : `Live: ${liveRows.length} new since this page opened`}
      </p>
      {liveRows.length > 0 ? <DataTable caption="New alerts (live)" testId="live-alerts" columns={columns} rows={liveRows} rowKey={(a) => a.id} /> : null}
      {fetching && !data ? <Loading /> : null}
      <ErrorNote error={error} />
      {data ? (
        <>
          <DataTable caption="Alerts, newest first" testId="alerts" columns={columns} rows={nodesOf(data.alerts)} rowKey={(a) => a.id} />
          <ConnectionPager connection={data.alerts} />
        </>
      ) : null}
    </>
  );
}
