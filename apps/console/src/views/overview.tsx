import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import { ConnectionPager } from '../components/filters';
import { nodesOf, usePagedQuery } from '../components/paged';
import type { OverviewAtRiskQuery, OverviewUnsignedAtRiskQuery, OverviewUnsignedRunningQuery } from '../gql/graphql';
import { ErrorNote, Loading, Section, SeverityBadge, shortDigest, useUrlFilter } from '../ui';

/*
 * The overview: every number comes from a query that stays cheap at millions of findings —
 * exact counters (findingCounts), the daily trend rows (findingTrend), and totalCounts of
 * keyset connections. Each card links to the list behind it; the lists that have no view of
 * their own (unsigned images running, images at risk) open here under `?list=`, paged by the
 * server, so their URL can be shared.
 */

const OverviewQuery = graphql(`
  query Overview($since: DateTime!, $days: Int!) {
    open: findingCounts(groupBy: SEVERITY, filter: { status: OPEN }) {
      edges {
        node {
          key
          count
        }
      }
    }
    trend: findingTrend(days: $days, filter: { severities: [CRITICAL, HIGH, MEDIUM, LOW] }) {
      day
      severity
      open
    }
    atRisk: findingCounts(groupBy: IMAGE, first: 1, filter: { status: OPEN, kind: SCANNER, severities: [CRITICAL, HIGH] }) {
      totalCount
    }
    images(first: 1) {
      totalCount
    }
    alerts(first: 1, filter: { from: $since }) {
      totalCount
    }
    queue: taskQueueHealth {
      queued
      running
      oldestQueuedAt
    }
    failed: tasks(first: 1, filter: { status: FAILED }) {
      totalCount
    }
  }
`);

/** Its own query: the signer looks up every image at risk, which takes longer than the counters behind the rest of the page. */
const UnsignedAtRiskCountQuery = graphql(`
  query OverviewUnsignedAtRiskCount {
    imagesBySignature(first: 1, severity: [CRITICAL, HIGH], signed: false) {
      totalCount
    }
  }
`);

/** Its own query: it needs the cluster inventory and the signer, and its failure must not blank the page. */
const UnsignedRunningCountQuery = graphql(`
  query OverviewUnsignedRunningCount {
    workloads(first: 1, filter: { signed: false }) {
      totalCount
    }
  }
`);

const UnsignedRunningQuery = graphql(`
  query OverviewUnsignedRunning($first: Int, $after: String) {
    workloads(first: $first, after: $after, filter: { signed: false }) {
      totalCount
      pageInfo {
        ...KeysetPage
      }
      edges {
        node {
          id
          cluster
          namespace
          kind
          name
          images {
            container
            image
            digest
            signed
          }
        }
      }
    }
  }
`);

/** Images at risk from the exact per-image counters (scanner findings target image ids), paged by image id. */
const AtRiskQuery = graphql(`
  query OverviewAtRisk($first: Int, $after: String) {
    findingCounts(groupBy: IMAGE, first: $first, after: $after, filter: { status: OPEN, kind: SCANNER, severities: [CRITICAL, HIGH] }) {
      totalCount
      pageInfo {
        ...KeysetPage
      }
      edges {
        node {
          key
          count
          image {
            digest
            references
            signed
          }
        }
      }
    }
  }
`);

const UnsignedAtRiskQuery = graphql(`
  query OverviewUnsignedAtRisk($first: Int, $after: String) {
    imagesBySignature(first: $first, after: $after, severity: [CRITICAL, HIGH], signed: false) {
      totalCount
      pageInfo {
        ...KeysetPage
      }
      edges {
        node {
          digest
          references
          findingCount
        }
      }
    }
  }
`);

const TREND_DAYS = 30;
const TREND_SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
/** Lines differ by dash as well as colour, so the chart reads without colour too. */
const DASHES: Record<(typeof TREND_SEVERITIES)[number], string | undefined> = { CRITICAL: undefined, HIGH: '8 4', MEDIUM: '3 3', LOW: '1 4' };
const LINE_NAMES: Record<(typeof TREND_SEVERITIES)[number], string> = { CRITICAL: 'solid line', HIGH: 'long dashes', MEDIUM: 'short dashes', LOW: 'dotted line' };

/** The lists this view can open (`?list=`). */
const LISTS = { 'unsigned-running': 'List: workloads running an unsigned image', 'at-risk': 'List: images with open CRITICAL or HIGH vulnerabilities', 'unsigned-at-risk': 'List: images at risk without a valid signature' } as const;
type ListName = keyof typeof LISTS;

export default function OverviewView() {
  // Rounded to the minute so the query (and urql's cache key) is stable while the page is open.
  const since = useMemo(() => new Date(Math.floor((Date.now() - 86_400_000) / 60_000) * 60_000).toISOString(), []);
  const [{ data, error, fetching }] = useQuery({ query: OverviewQuery, variables: { since, days: TREND_DAYS } });
  const [params] = useUrlFilter();
  const list = params.get('list');
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const open = new Map(data.open.edges.map((e) => [e.node.key, e.node.count]));
  return (
    <>
      <h1>Overview</h1>
      <div className="grid">
        <Section title="Open findings by severity">
          <ul className="stats">
            {(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const).map((s) => (
              <li key={s}>
                <Link to={`/findings?status=OPEN&severity=${s}`}>
                  <SeverityBadge severity={s} /> <span data-testid={`open-${s.toLowerCase()}`}>{open.get(s) ?? 0}</span>
                </Link>
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Images at risk">
          <p>
            <Link to="?list=at-risk" data-testid="at-risk">
              {plural(data.atRisk.totalCount, 'image')}
            </Link>{' '}
            with open CRITICAL or HIGH vulnerabilities (of <Link to="/images">{data.images.totalCount} scanned</Link>)<UnsignedAtRisk />.
          </p>
        </Section>
        <UnsignedRunningCard />
        <Section title="Runtime alerts, last 24 h">
          <p>
            <Link to="/alerts?since=24h" data-testid="alerts-24h">
              {plural(data.alerts.totalCount, 'alert')}
            </Link>
          </p>
        </Section>
        <Section title="Task queue">
          <p>
            <Link to="/tasks?status=QUEUED" data-testid="tasks-queued">
              {data.queue.queued} queued
            </Link>{' '}
            · <Link to="/tasks?status=RUNNING">{data.queue.running} running</Link> · <Link to="/tasks?status=FAILED">{data.failed.totalCount} failed</Link>
          </p>
          {data.queue.oldestQueuedAt ? <p data-testid="oldest-queued">The oldest queued task has waited {age(data.queue.oldestQueuedAt)}.</p> : null}
        </Section>
      </div>
      <Section title={`Open findings, last ${TREND_DAYS} days`}>
        <TrendChart points={data.trend} />
      </Section>
      {list && Object.hasOwn(LISTS, list) ? <ListSection name={list as ListName} /> : list ? <p role="alert">No list named {list}.</p> : null}
    </>
  );
}

function UnsignedAtRisk() {
  const [{ data, error }] = useQuery({ query: UnsignedAtRiskCountQuery });
  // Inline (the card's sentence is a paragraph): the API's own words, as ErrorNote gives them elsewhere.
  if (error) return <span className="error">; whether they are signed is unknown: {error.graphQLErrors[0]?.message ?? error.message}</span>;
  if (!data) return null;
  return (
    <>
      , of which <Link to="?list=unsigned-at-risk">{data.imagesBySignature.totalCount} have no valid signature</Link>
    </>
  );
}

function UnsignedRunningCard() {
  const [{ data, error, fetching }] = useQuery({ query: UnsignedRunningCountQuery });
  return (
    <Section title="Unsigned images running">
      {fetching && !data ? (
        <Loading />
      ) : data ? (
        <p>
          <Link to="?list=unsigned-running" data-testid="unsigned-running">
            {plural(data.workloads.totalCount, 'workload')}
          </Link>{' '}
          in the watched clusters run an image without a valid signature.
        </p>
      ) : (
        <ErrorNote error={error} />
      )}
    </Section>
  );
}

/** How long ago an instant was, in the largest whole unit (seconds to days). */
function age(at: string): string {
  const seconds = Math.max(0, Math.floor((Date.now() - Date.parse(at)) / 1000));
  for (const [unit, size] of [['day', 86_400], ['hour', 3_600], ['minute', 60]] as const) if (seconds >= size) return plural(Math.floor(seconds / size), unit);
  return plural(seconds, 'second');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

interface Point {
  day: string;
  severity: string;
  open: number;
}

/** An inline SVG line chart (no chart library), with the numbers in a table for screen readers and anyone who wants them. */
function TrendChart({ points }: { points: readonly Point[] }) {
  const days = [...new Set(points.map((p) => p.day))];
  if (days.length === 0) return <p className="muted">No trend recorded yet.</p>;
  const value = new Map(points.map((p) => [`${p.day} ${p.severity}`, p.open]));
  const max = Math.max(1, ...points.map((p) => p.open));
  const width = 640;
  const height = 200;
  const left = 48;
  const right = 12;
  const top = 12;
  const bottom = 28;
  const x = (i: number) => (days.length === 1 ? left + (width - left - right) / 2 : left + (i * (width - left - right)) / (days.length - 1));
  const y = (n: number) => top + (height - top - bottom) * (1 - n / max);
  const first = days[0] ?? '';
  const last = days[days.length - 1] ?? '';
  const latest = TREND_SEVERITIES.map((s) => `${s} ${value.get(`${last} ${s}`) ?? 0}`).join(', ');
  return (
    <figure className="trend" data-testid="trend">
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-labelledby="trend-title trend-desc" data-testid="trend-chart">
        <title id="trend-title">Open findings per day by severity</title>
        <desc id="trend-desc">{`From ${first} to ${last}; open on ${last}: ${latest}. The table below lists every day.`}</desc>
        <g className="muted" fill="currentColor" stroke="currentColor" fontSize="11">
          <line x1={left} y1={y(0)} x2={width - right} y2={y(0)} />
          <line x1={left} y1={top} x2={left} y2={y(0)} />
          {[0, Math.round(max / 2), max].map((n) => (
            <text key={n} x={left - 6} y={y(n) + 4} textAnchor="end" stroke="none">
              {n}
            </text>
          ))}
          <text x={x(0)} y={height - 8} textAnchor={days.length === 1 ? 'middle' : 'start'} stroke="none">
            {first}
          </text>
          {days.length > 1 ? (
            <text x={x(days.length - 1)} y={height - 8} textAnchor="end" stroke="none">
              {last}
            </text>
          ) : null}
        </g>
        {TREND_SEVERITIES.map((s) => {
          const coords = days.map((day, i) => [x(i), y(value.get(`${day} ${s}`) ?? 0)] as const);
          return (
            <g key={s} className={`sev-${s.toLowerCase()}`} data-severity={s}>
              <polyline points={coords.map(([cx, cy]) => `${cx},${cy}`).join(' ')} fill="none" stroke="currentColor" strokeWidth="2" strokeDasharray={DASHES[s]} />
              {coords.length <= 31 ? coords.map(([cx, cy], i) => <circle key={i} cx={cx} cy={cy} r="2.5" fill="currentColor" />) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul className="stats">
          {TREND_SEVERITIES.map((s) => (
            <li key={s}>
              <SeverityBadge severity={s} /> <span className="muted">{LINE_NAMES[s]}</span>
            </li>
          ))}
        </ul>
        {days.length < TREND_DAYS ? <p className="muted">The trend is recorded from {first} on: earlier days are not known.</p> : null}
      </figcaption>
      <details>
        <summary>Numbers per day</summary>
        <table data-testid="trend-table">
          <caption>Open findings at the end of each UTC day (today: now)</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {TREND_SEVERITIES.map((s) => (
                <th key={s} scope="col">
                  {s}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((day) => (
              <tr key={day}>
                <th scope="row">{day}</th>
                {TREND_SEVERITIES.map((s) => (
                  <td key={s}>{value.get(`${day} ${s}`) ?? 0}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function ListSection({ name }: { name: ListName }) {
  return (
    <Section title={LISTS[name]} id="overview-list">
      <p>
        <Link to="/">Close the list</Link>
      </p>
      {name === 'unsigned-running' ? <UnsignedRunningList /> : name === 'at-risk' ? <AtRiskList /> : <UnsignedAtRiskList />}
    </Section>
  );
}

type WorkloadRow = OverviewUnsignedRunningQuery['workloads']['edges'][number]['node'];

function UnsignedRunningList() {
  const [{ data, error, fetching }] = usePagedQuery(UnsignedRunningQuery, {});
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const columns: Column<WorkloadRow>[] = [
    { header: 'Cluster', cell: (w) => w.cluster },
    { header: 'Namespace', cell: (w) => w.namespace },
    { header: 'Workload', cell: (w) => `${w.kind}/${w.name}` },
    {
      header: 'Unsigned images',
      className: 'mono',
      cell: (w) =>
        w.images
          .filter((i) => i.signed === false)
          .map((i) => `${i.container}: ${i.image}${i.digest ? ` (${shortDigest(i.digest)})` : ''}`)
          .join(', '),
    },
  ];
  return (
    <>
      <DataTable caption="Workloads running an image without a valid signature" columns={columns} rows={nodesOf(data.workloads)} rowKey={(w) => w.id} testId="unsigned-running-list" />
      <ConnectionPager connection={data.workloads} label="Pages of unsigned workloads" />
    </>
  );
}

type AtRiskRow = OverviewAtRiskQuery['findingCounts']['edges'][number]['node'];

function AtRiskList() {
  const [{ data, error, fetching }] = usePagedQuery(AtRiskQuery, {});
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const columns: Column<AtRiskRow>[] = [
    { header: 'Image', cell: (g) => <Link to={`/images/${encodeURIComponent(g.key)}?status=OPEN`}>{g.image?.references[0] ?? shortDigest(g.key)}</Link> },
    { header: 'Image id', cell: (g) => shortDigest(g.key), className: 'mono' },
    { header: 'Open CRITICAL/HIGH', cell: (g) => g.count },
    { header: 'Signature', cell: (g) => (g.image ? (g.image.signed ? 'valid' : 'none valid') : 'unknown (image not stored)') },
  ];
  return (
    <>
      <DataTable caption="Images with open CRITICAL or HIGH vulnerabilities" columns={columns} rows={nodesOf(data.findingCounts)} rowKey={(g) => g.key} testId="at-risk-list" />
      <ConnectionPager connection={data.findingCounts} label="Pages of images at risk" />
    </>
  );
}

type UnsignedAtRiskRow = OverviewUnsignedAtRiskQuery['imagesBySignature']['edges'][number]['node'];

function UnsignedAtRiskList() {
  const [{ data, error, fetching }] = usePagedQuery(UnsignedAtRiskQuery, {});
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const columns: Column<UnsignedAtRiskRow>[] = [
    { header: 'Image', cell: (i) => <Link to={`/images/${encodeURIComponent(i.digest)}?status=OPEN`}>{i.references[0] ?? shortDigest(i.digest)}</Link> },
    { header: 'Image id', cell: (i) => shortDigest(i.digest), className: 'mono' },
    { header: 'Open CRITICAL/HIGH', cell: (i) => i.findingCount },
  ];
  return (
    <>
      <DataTable caption="Images with open CRITICAL or HIGH findings and no valid signature" columns={columns} rows={nodesOf(data.imagesBySignature)} rowKey={(i) => i.digest} testId="unsigned-at-risk-list" />
      <ConnectionPager connection={data.imagesBySignature} label="Pages of unsigned images at risk" />
    </>
  );
}
