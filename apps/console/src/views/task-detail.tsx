import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery, useSubscription } from 'urql';
import { graphql } from '../gql';
import { ErrorNote, formatTime, Loading, shortDigest, StatusBadge } from '../ui';
import { Can } from '../viewer';
import { TaskLogPanel } from './task-log-panel';

const TaskQuery = graphql(`
  query TaskDetail($id: ID!) {
    task(id: $id) {
      id
      kind
      type
      status
      progress
      progressMessage
      attempts
      input
      labels
      error
      createdAt
      startedAt
      finishedAt
      pluginId
      image {
        digest
        references
      }
    }
  }
`);

const TaskUpdates = graphql(`
  subscription TaskUpdates($id: ID!) {
    taskUpdated(id: $id) {
      id
      status
      progress
      progressMessage
      error
      finished
      attempts
      updatedAt
    }
  }
`);

const CancelTask = graphql(`
  mutation CancelTask($id: ID!) {
    cancelTask(id: $id) {
      id
      status
    }
  }
`);

const RetryTask = graphql(`
  mutation RetryTask($kind: PluginKind!, $type: String!, $input: JSON!, $labels: JSON) {
    submitTask(kind: $kind, type: $type, input: $input, labels: $labels) {
      id
    }
  }
`);

interface LogLine {
  at: string;
  text: string;
}

/** One task: its state live from the taskUpdated subscription (progress and the messages it reported), its stored log (TaskLogPanel), cancel and retry. */
export default function TaskDetailView() {
  const id = useParams()['id'] ?? '';
  const [{ data, error, fetching }, refetch] = useQuery({ query: TaskQuery, variables: { id } });
  const [log, setLog] = useState<LogLine[]>([]);
  const [live] = useSubscription({ query: TaskUpdates, variables: { id } }, (_previous, update) => {
    const u = update.taskUpdated;
    const text = `${u.status}${u.progressMessage ? `: ${u.progressMessage}` : ''} (${Math.round(u.progress * 100)}%)${u.error ? ` — ${u.error}` : ''}`;
    setLog((lines) => (lines.at(-1)?.text === text ? lines : [...lines, { at: u.updatedAt, text }].slice(-200)));
    if (u.finished) refetch({ requestPolicy: 'network-only' });
    return update;
  });
  const [cancelled, cancel] = useMutation(CancelTask);
  const [retried, retry] = useMutation(RetryTask);
  const navigate = useNavigate();
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const task = data.task;
  if (!task) return <h1>No task {id} in your team</h1>;
  const now = live.data?.taskUpdated;
  const status = now?.status ?? task.status;
  const progress = now?.progress ?? task.progress;
  const finished = ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status);
  return (
    <>
      <h1>
        Task {task.type} <span className="mono muted">{task.id}</span>
      </h1>
      <p>
        <StatusBadge status={status} />{' '}
        <progress max={1} value={progress} aria-label="Task progress">
          {Math.round(progress * 100)}%
        </progress>{' '}
        <span data-testid="task-status">{status}</span> · {Math.round(progress * 100)}%
      </p>
      <Can role="operator">
        <p className="actions">
          {!finished ? (
            <button type="button" disabled={cancelled.fetching} onClick={() => void cancel({ id: task.id })}>
              Cancel task
            </button>
          ) : null}
          {finished && status !== 'SUCCEEDED' ? (
            <button
              type="button"
              disabled={retried.fetching}
              onClick={async () => {
                const result = await retry({ kind: task.kind, type: task.type, input: task.input, labels: task.labels });
                if (result.data) navigate(`/tasks/${result.data.submitTask.id}`);
              }}
            >
              Retry task
            </button>
          ) : null}
        </p>
        <ErrorNote error={cancelled.error ?? retried.error} />
      </Can>
      <dl className="facts">
        <dt>Kind</dt>
        <dd>
          {task.kind} ({task.pluginId ?? 'plugin unknown'})
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(task.createdAt)}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(task.finishedAt)}</dd>
        <dt>Attempts</dt>
        <dd>{now?.attempts ?? task.attempts}</dd>
        {task.image ? (
          <>
            <dt>Image</dt>
            <dd>
              <Link to={`/images/${encodeURIComponent(task.image.digest)}`}>{task.image.references[0] ?? shortDigest(task.image.digest)}</Link>
            </dd>
          </>
        ) : null}
        {task.error || now?.error ? (
          <>
            <dt>Error</dt>
            <dd className="error">{now?.error ?? task.error}</dd>
          </>
        ) : null}
      </dl>
      <TaskLogPanel taskId={task.id} running={status === 'RUNNING'} />
      <h2>Progress log</h2>
      <ol className="log" aria-live="polite" data-testid="task-log">
        {log.map((line, i) => (
          <li key={i}>
            <span className="muted">{formatTime(line.at)}</span> {line.text}
          </li>
        ))}
      </ol>
      <h2>Input</h2>
      <pre>{JSON.stringify(task.input, null, 2)}</pre>
    </>
  );
}
