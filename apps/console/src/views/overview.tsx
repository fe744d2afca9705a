import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { ErrorNote, Loading, Section, SeverityBadge } from '../ui';

const OverviewQuery = graphql(`
  query Overview($since: DateTime!) {
    critical: findings(first: 1, filter: { status: OPEN, severities: [CRITICAL] }) {
      totalCount
    }
    high: findings(first: 1, filter: { status: OPEN, severities: [HIGH] }) {
      totalCount
    }
    medium: findings(first: 1, filter: { status: OPEN, severities: [MEDIUM] }) {
      totalCount
    }
    low: findings(first: 1, filter: { status: OPEN, severities: [LOW] }) {
      totalCount
    }
    atRisk: imagesBySignature(first: 1, severity: [CRITICAL, HIGH]) {
      totalCount
    }
    unsignedAtRisk: imagesBySignature(first: 1, severity: [CRITICAL, HIGH], signed: false) {
      totalCount
    }
    images(first: 1) {
      totalCount
    }
    alerts(first: 1, filter: { from: $since }) {
      totalCount
    }
    queued: tasks(first: 1, filter: { status: QUEUED }) {
      totalCount
    }
    running: tasks(first: 1, filter: { status: RUNNING }) {
      totalCount
    }
    failed: tasks(first: 1, filter: { status: FAILED }) {
      totalCount
    }
  }
`);

export default function OverviewView() {
  // Rounded to the minute so the query (and urql's cache key) is stable while the page is open.
  const since = useMemo(() => new Date(Math.floor((Date.now() - 86_400_000) / 60_000) * 60_000).toISOString(), []);
  const [{ data, error, fetching }] = useQuery({ query: OverviewQuery, variables: { since } });
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  return (
    <>
      <h1>Overview</h1>
      <div className="grid">
        <Section title="Open findings by severity">
          <ul className="stats">
            {(['critical', 'high', 'medium', 'low'] as const).map((s) => (
              <li key={s}>
                <Link to={`/findings?status=OPEN&severity=${s.toUpperCase()}`}>
                  <SeverityBadge severity={s.toUpperCase()} /> <span data-testid={`open-${s}`}>{data[s].totalCount}</span>
                </Link>
              </li>
            ))}
          </ul>
        </Section>
        <Section title="Images at risk">
          <p>
            <Link to="/images">{data.images.totalCount} images</Link>; {data.atRisk.totalCount} with open CRITICAL or HIGH findings, of which {data.unsignedAtRisk.totalCount} have no valid signature.
          </p>
        </Section>
        <Section title="Runtime alerts, last 24 h">
          <p>
            <Link to={`/alerts`}>{data.alerts.totalCount} alerts</Link>
          </p>
        </Section>
        <Section title="Task queue">
          <p>
            <Link to="/tasks?status=QUEUED">{data.queued.totalCount} queued</Link> · <Link to="/tasks?status=RUNNING">{data.running.totalCount} running</Link> ·{' '}
            <Link to="/tasks?status=FAILED">{data.failed.totalCount} failed</Link>
          </p>
        </Section>
      </div>
    </>
  );
}
