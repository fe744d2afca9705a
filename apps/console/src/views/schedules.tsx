import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import type { SchedulesQuery as SchedulesQueryData } from '../gql/graphql';
import { ErrorNote, formatTime, Loading } from '../ui';
import { Can } from '../viewer';

const SchedulesQuery = graphql(`
  query Schedules {
    schedules {
      id
      kind
      type
      cron
      timezone
      input
      paused
      runCount
      lastRunAt
      nextRunAt
      lastTaskId
      lastError
      lastChanges {
        newFindings
        resolvedFindings
        since
        until
      }
    }
  }
`);

const CreateSchedule = graphql(`
  mutation CreateSchedule($kind: PluginKind!, $type: String!, $input: JSON!, $cron: String!, $timezone: String) {
    createSchedule(kind: $kind, type: $type, input: $input, cron: $cron, timezone: $timezone) {
      id
    }
  }
`);

const PauseSchedule = graphql(`
  mutation PauseSchedule($id: ID!) {
    pauseSchedule(id: $id) {
      id
      paused
      nextRunAt
    }
  }
`);

const ResumeSchedule = graphql(`
  mutation ResumeSchedule($id: ID!) {
    resumeSchedule(id: $id) {
      id
      paused
      nextRunAt
    }
  }
`);

const UpdateSchedule = graphql(`
  mutation UpdateScheduleCron($id: ID!, $cron: String) {
    updateSchedule(id: $id, cron: $cron) {
      id
      cron
      nextRunAt
    }
  }
`);

const KINDS = ['SCANNER', 'BENCHMARK', 'RUNTIME', 'SIGNER'] as const;

export default function SchedulesView() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: SchedulesQuery });
  const reload = () => refetch({ requestPolicy: 'network-only' });
  const columns: Column<SchedulesQueryData['schedules'][number]>[] = [
    { header: 'Task', cell: (s) => `${s.kind.toLowerCase()}/${s.type}` },
    { header: 'Cron', cell: (s) => `${s.cron} (${s.timezone})`, className: 'mono' },
    { header: 'State', cell: (s) => (s.paused ? 'paused' : 'active') },
    {
      header: 'Last run',
      cell: (s) => (
        <>
          {formatTime(s.lastRunAt)} {s.lastTaskId ? <Link to={`/tasks/${s.lastTaskId}`}>task</Link> : null}
          {s.lastError ? <span className="error"> {s.lastError}</span> : null}
        </>
      ),
    },
    { header: 'Next run', cell: (s) => (s.paused ? '—' : formatTime(s.nextRunAt)) },
    { header: 'What changed', cell: (s) => (s.lastChanges ? `+${s.lastChanges.newFindings} new, −${s.lastChanges.resolvedFindings} resolved` : '—') },
    { header: 'Actions', role: 'operator', cell: (s) => <ScheduleActions id={s.id} paused={s.paused} cron={s.cron} onDone={reload} /> },
  ];
  return (
    <>
      <h1>Schedules</h1>
      <Can role="operator">
        <CreateForm onCreated={reload} />
      </Can>
      {fetching && !data ? <Loading /> : null}
      <ErrorNote error={error} />
      {data ? (
        <DataTable caption="Schedules" columns={columns} rows={data.schedules} rowKey={(s) => s.id} rowTestId="schedule" />
      ) : null}
    </>
  );
}

function ScheduleActions({ id, paused, cron, onDone }: { id: string; paused: boolean; cron: string; onDone: () => void }) {
  const [paused$, pause] = useMutation(PauseSchedule);
  const [resumed, resume] = useMutation(ResumeSchedule);
  const [updated, update] = useMutation(UpdateSchedule);
  const [draft, setDraft] = useState(cron);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    const result = await update({ id, cron: draft.trim() });
    if (!result.error) onDone();
  };
  return (
    <>
      <button type="button" onClick={() => void (paused ? resume({ id }) : pause({ id })).then((r) => !r.error && onDone())}>
        {paused ? 'Resume' : 'Pause'}
      </button>
      <form onSubmit={save} className="inline">
        <label htmlFor={`cron-${id}`} className="visually-hidden">
          Cron of schedule {id}
        </label>
        <input id={`cron-${id}`} value={draft} onChange={(e) => setDraft(e.target.value)} size={14} />
        <button type="submit">Save cron</button>
      </form>
      <ErrorNote error={paused$.error ?? resumed.error ?? updated.error} />
    </>
  );
}

function CreateForm({ onCreated }: { onCreated: () => void }) {
  const [kind, setKind] = useState<(typeof KINDS)[number]>('SCANNER');
  const [type, setType] = useState('scan-image');
  const [input, setInput] = useState('{\n  "source": ""\n}');
  const [cron, setCron] = useState('0 3 * * *');
  const [timezone, setTimezone] = useState('UTC');
  const [problem, setProblem] = useState<string | null>(null);
  const [created, create] = useMutation(CreateSchedule);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (error) {
      setProblem(`Input is not JSON: ${(error as Error).message}`);
      return;
    }
    setProblem(null);
    const result = await create({ kind, type: type.trim(), input: parsed, cron: cron.trim(), timezone: timezone.trim() || 'UTC' });
    if (!result.error) onCreated();
  };
  return (
    <form onSubmit={submit} className="card form-grid" aria-label="New schedule">
      <h2>New schedule</h2>
      <label htmlFor="s-kind">Kind</label>
      <select id="s-kind" value={kind} onChange={(e) => setKind(e.target.value as (typeof KINDS)[number])}>
        {KINDS.map((k) => (
          <option key={k}>{k}</option>
        ))}
      </select>
      <label htmlFor="s-type">Task type</label>
      <input id="s-type" value={type} onChange={(e) => setType(e.target.value)} required />
      <label htmlFor="s-input">Input (JSON)</label>
      <textarea id="s-input" value={input} onChange={(e) => setInput(e.target.value)} rows={4} />
      <label htmlFor="s-cron">Cron</label>
      <input id="s-cron" value={cron} onChange={(e) => setCron(e.target.value)} required />
      <label htmlFor="s-tz">Time zone</label>
      <input id="s-tz" value={timezone} onChange={(e) => setTimezone(e.target.value)} />
      <button type="submit" disabled={created.fetching}>
        Create schedule
      </button>
      <ErrorNote error={problem ?? created.error} />
    </form>
  );
}
