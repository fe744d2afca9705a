import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient, type CombinedError } from 'urql';
import { graphql } from '../gql';
import type { LogLevel, TaskLogsQuery as TaskLogsData } from '../gql/graphql';
import { ErrorNote } from '../ui';

const TaskLogsQuery = graphql(`
  query TaskLogs($id: ID!, $first: Int, $after: String, $minLevel: LogLevel) {
    task(id: $id) {
      id
      logs(first: $first, after: $after, minLevel: $minLevel) {
        totalCount
        pageInfo {
          ...KeysetPage
        }
        edges {
          node {
            at
            level
            message
            fields
            attempt
          }
        }
      }
    }
  }
`);

type LogLine = NonNullable<TaskLogsData['task']>['logs']['edges'][number]['node'];

/** Lines asked for at once (the API's default page). */
const LOG_PAGE = 200;
/**
 * How often a running task's log is asked for new lines. The worker writes a task's lines about
 * once a second, so polling with the last cursor is as live as a subscription would be, costs one
 * indexed read of only the new lines, and needs no new pub/sub channel or replay logic.
 */
const POLL_MS = 2_000;
/** After the task finished: the worker writes its last lines just before the final state, so one more look finds them. */
const FINAL_LOOK_MS = 1_000;

const LEVELS: { value: LogLevel; label: string }[] = [
  { value: 'INFO', label: 'All lines' },
  { value: 'WARN', label: 'Warnings and errors' },
  { value: 'ERROR', label: 'Errors only' },
];

const LEVEL_CLASS: Record<LogLevel, string> = { INFO: 'sev-info', WARN: 'sev-medium', ERROR: 'sev-high', FATAL: 'sev-critical' };

/** Time of day with milliseconds, UTC (the date is the task's). */
function timeOfDay(at: string): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? at : `${date.toISOString().slice(11, 23)}Z`;
}

/**
 * A task's stored log (Task.logs): its plugin's lines and the platform's lines about it. Follows
 * while the task runs (polling with the last cursor, scrolled to the newest line unless "Follow"
 * is unchecked); older pages on "Load more". The list is a focusable log region, so it scrolls
 * from the keyboard.
 */
export function TaskLogPanel({ taskId, running }: { taskId: string; running: boolean }) {
  const client = useClient();
  const [minLevel, setMinLevel] = useState<LogLevel>('INFO');
  const [lines, setLines] = useState<LogLine[]>([]);
  const [page, setPage] = useState<{ hasNextPage: boolean; total: number } | null>(null);
  const [error, setError] = useState<CombinedError | undefined>();
  const [follow, setFollow] = useState(true);
  /** The endCursor of the last line shown; new lines are asked for after it. */
  const cursor = useRef<string | null>(null);
  /** Bumped when the level changes: answers to older requests are dropped. */
  const generation = useRef(0);
  const inFlight = useRef(false);
  const region = useRef<HTMLDivElement>(null);

  const load = useCallback(async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    const asked = generation.current;
    try {
      const result = await client.query(TaskLogsQuery, { id: taskId, first: LOG_PAGE, after: cursor.current, minLevel }, { requestPolicy: 'network-only' }).toPromise();
      if (asked !== generation.current) return;
      setError(result.error);
      const logs = result.data?.task?.logs;
      if (!logs) return;
      if (logs.pageInfo.endCursor) cursor.current = logs.pageInfo.endCursor;
      const fresh = logs.edges.map((edge) => edge.node);
      if (fresh.length > 0) setLines((shown) => [...shown, ...fresh]);
      setPage({ hasNextPage: logs.pageInfo.hasNextPage, total: logs.totalCount });
    } finally {
      // A request of an older generation no longer holds the flag (the reset cleared it for the new one).
      if (asked === generation.current) inFlight.current = false;
    }
  }, [client, taskId, minLevel]);

  // A new task or level: start from the first line.
  useEffect(() => {
    generation.current++;
    inFlight.current = false;
    cursor.current = null;
    setLines([]);
    setPage(null);
    void load();
  }, [load]);

  // Follow while running; one last look once it finished.
  const wasRunning = useRef(running);
  useEffect(() => {
    if (running) {
      wasRunning.current = true;
      const timer = setInterval(() => void load(), POLL_MS);
      return () => clearInterval(timer);
    }
    if (!wasRunning.current) return undefined;
    wasRunning.current = false;
    // Twice: the first look may meet a poll still in flight and be skipped.
    const timers = [setTimeout(() => void load(), FINAL_LOOK_MS), setTimeout(() => void load(), 3 * FINAL_LOOK_MS)];
    return () => timers.forEach(clearTimeout);
  }, [running, load]);

  useEffect(() => {
    const box = region.current;
    if (follow && running && box) box.scrollTop = box.scrollHeight;
  }, [lines, follow, running]);

  return (
    <section aria-labelledby="task-log-title">
      <h2 id="task-log-title">Task log</h2>
      <div className="filters">
        <label htmlFor="task-log-level">Level</label>
        <select id="task-log-level" value={minLevel} onChange={(event) => setMinLevel(event.target.value as LogLevel)}>
          {LEVELS.map((level) => (
            <option key={level.value} value={level.value}>
              {level.label}
            </option>
          ))}
        </select>
        {running ? (
          <label>
            <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.target.checked)} /> Follow new lines
          </label>
        ) : null}
        <span className="muted" role="status" data-testid="task-log-count">
          {page ? `${lines.length} of ${page.total} lines` : 'Reading the log…'}
        </span>
      </div>
      <ErrorNote error={error} />
      {/* A focusable region: keyboard users scroll it; role log announces new lines politely. */}
      <div className="task-log" role="log" aria-label="Task log lines" tabIndex={0} ref={region}>
        {lines.length === 0 ? (
          <p className="muted">{page ? `No log lines${minLevel === 'INFO' ? '' : ' at this level'}${running ? ' yet' : ''}.` : ''}</p>
        ) : (
          <ol className="log" data-testid="task-log-lines">
            {lines.map((line, i) => (
              <li key={i} data-level={line.level}>
                <time dateTime={line.at} title={line.at}>
                  {timeOfDay(line.at)}
                </time>{' '}
                <span className={`badge ${LEVEL_CLASS[line.level]}`}>{line.level}</span> <span className="log-message">{line.message}</span>
                {line.attempt > 1 ? <span className="muted"> (attempt {line.attempt})</span> : null}
                {line.fields ? <code className="log-fields">{JSON.stringify(line.fields)}</code> : null}
              </li>
            ))}
          </ol>
        )}
      </div>
      {page?.hasNextPage ? (
        <button type="button" onClick={() => void load()}>
          Load more
        </button>
      ) : null}
    </section>
  );
}
