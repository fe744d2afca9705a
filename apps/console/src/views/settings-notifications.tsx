import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import type { NotificationChannelKind, NotificationChannelsQuery } from '../gql/graphql';
import { ErrorNote, formatTime, Loading, Section } from '../ui';

/*
 * Notification channels of the team (operators and admins: the API's notificationChannels and
 * its mutations need operator). The webhook secret is write-only: typed once, never shown again
 * (the API returns only `hasSecret`); editing a channel keeps the stored secret unless a new one
 * is typed.
 */

const ChannelsQuery = graphql(`
  query NotificationChannels {
    notificationChannels {
      id
      name
      kind
      url
      hasSecret
      enabled
      onCriticalFindings
      onFailedGates
      runtimeAlertMinPriority
      updatedAt
    }
    notificationDeliveries(first: 20) {
      deliveryId
      channelId
      eventType
      attempt
      status
      statusCode
      error
      durationMs
      at
    }
  }
`);

const CreateChannel = graphql(`
  mutation CreateNotificationChannel($name: String!, $kind: NotificationChannelKind!, $url: String!, $secret: String, $onCriticalFindings: Boolean!, $onFailedGates: Boolean!, $runtimeAlertMinPriority: String, $enabled: Boolean!) {
    createNotificationChannel(name: $name, kind: $kind, url: $url, secret: $secret, onCriticalFindings: $onCriticalFindings, onFailedGates: $onFailedGates, runtimeAlertMinPriority: $runtimeAlertMinPriority, enabled: $enabled) {
      id
    }
  }
`);

const UpdateChannel = graphql(`
  mutation UpdateNotificationChannel($id: ID!, $name: String!, $kind: NotificationChannelKind!, $url: String!, $secret: String, $onCriticalFindings: Boolean!, $onFailedGates: Boolean!, $runtimeAlertMinPriority: String, $enabled: Boolean!) {
    updateNotificationChannel(id: $id, name: $name, kind: $kind, url: $url, secret: $secret, onCriticalFindings: $onCriticalFindings, onFailedGates: $onFailedGates, runtimeAlertMinPriority: $runtimeAlertMinPriority, enabled: $enabled) {
      id
    }
  }
`);

const DeleteChannel = graphql(`
  mutation DeleteNotificationChannel($id: ID!) {
    deleteNotificationChannel(id: $id) {
      id
    }
  }
`);

type Channel = NotificationChannelsQuery['notificationChannels'][number];
type Delivery = NotificationChannelsQuery['notificationDeliveries'][number];

const PRIORITIES = ['Emergency', 'Alert', 'Critical', 'Error', 'Warning', 'Notice', 'Informational', 'Debug'] as const;

export function NotificationChannels() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: ChannelsQuery });
  const [editing, setEditing] = useState<Channel | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [deleted, remove] = useMutation(DeleteChannel);
  const reload = () => refetch({ requestPolicy: 'network-only' });
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const names = new Map(data.notificationChannels.map((c) => [c.id, c.name]));
  const columns: Column<Channel>[] = [
    { header: 'Name', cell: (c) => c.name },
    { header: 'Kind', cell: (c) => c.kind },
    { header: 'URL', cell: (c) => c.url, className: 'mono' },
    { header: 'Sends', cell: (c) => describeRules(c) },
    { header: 'Secret', cell: (c) => (c.kind === 'WEBHOOK' ? (c.hasSecret ? 'stored (write-only)' : 'none') : '—') },
    { header: 'State', cell: (c) => (c.enabled ? 'enabled' : 'disabled') },
    {
      header: 'Action',
      cell: (c) =>
        confirming === c.id ? (
          <span className="inline">
            <button type="button" onClick={() => void remove({ id: c.id }).then((r) => (setConfirming(null), r.error ? undefined : (editing?.id === c.id && setEditing(null), reload())))}>
              Confirm delete of {c.name}
            </button>
            <button type="button" onClick={() => setConfirming(null)}>
              Cancel
            </button>
          </span>
        ) : (
          <span className="inline">
            <button type="button" aria-label={`Edit channel ${c.name}`} onClick={() => setEditing(c)}>
              Edit
            </button>
            <button type="button" aria-label={`Delete channel ${c.name}`} onClick={() => setConfirming(c.id)}>
              Delete
            </button>
          </span>
        ),
    },
  ];
  const deliveryColumns: Column<Delivery>[] = [
    { header: 'At', cell: (d) => formatTime(d.at) },
    { header: 'Channel', cell: (d) => names.get(d.channelId) ?? `${d.channelId} (deleted)` },
    { header: 'Event', cell: (d) => d.eventType },
    { header: 'Attempt', cell: (d) => d.attempt },
    { header: 'Status', cell: (d) => `${d.status}${d.statusCode ? ` (HTTP ${d.statusCode})` : ''}` },
    { header: 'Error', cell: (d) => d.error ?? '—' },
    { header: 'Took', cell: (d) => `${d.durationMs} ms` },
  ];
  return (
    <Section title="Notification targets">
      {data.notificationChannels.length === 0 ? <p>No channel yet.</p> : <DataTable caption="Notification channels of your team" columns={columns} rows={data.notificationChannels} rowKey={(c) => c.id} rowTestId="channel" />}
      <ErrorNote error={deleted.error} />
      <ChannelForm key={editing?.id ?? 'new'} channel={editing} onDone={() => (setEditing(null), reload())} onCancel={() => setEditing(null)} />
      <h3>Recent deliveries</h3>
      {data.notificationDeliveries.length === 0 ? <p>No delivery attempt yet.</p> : <DataTable caption="The last 20 delivery attempts, newest first" columns={deliveryColumns} rows={data.notificationDeliveries} rowKey={(d) => `${d.deliveryId}-${d.attempt}`} />}
    </Section>
  );
}

function describeRules(c: Channel): string {
  const rules = [c.onCriticalFindings ? 'critical findings' : null, c.onFailedGates ? 'failed gates' : null, c.runtimeAlertMinPriority ? `alerts ≥ ${c.runtimeAlertMinPriority}` : null].filter(Boolean);
  return rules.length ? rules.join(', ') : 'nothing';
}

/** Creates a channel, or edits `channel` (its secret stays unless a new one is typed). */
function ChannelForm({ channel, onDone, onCancel }: { channel: Channel | null; onDone: () => void; onCancel: () => void }) {
  const [name, setName] = useState(channel?.name ?? '');
  const [kind, setKind] = useState<NotificationChannelKind>(channel?.kind ?? 'WEBHOOK');
  const [url, setUrl] = useState(channel?.url ?? '');
  const [secret, setSecret] = useState('');
  const [critical, setCritical] = useState(channel?.onCriticalFindings ?? true);
  const [gates, setGates] = useState(channel?.onFailedGates ?? false);
  const [priority, setPriority] = useState(channel?.runtimeAlertMinPriority ?? '');
  const [enabled, setEnabled] = useState(channel?.enabled ?? true);
  const [created, create] = useMutation(CreateChannel);
  const [updated, update] = useMutation(UpdateChannel);
  const id = channel ? `ch-${channel.id}` : 'ch-new';
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const variables = { name: name.trim(), kind, url: url.trim(), secret: kind === 'WEBHOOK' && secret ? secret : null, onCriticalFindings: critical, onFailedGates: gates, runtimeAlertMinPriority: priority || null, enabled };
    const result = channel ? await update({ id: channel.id, ...variables }) : await create(variables);
    if (!result.error) {
      setSecret('');
      onDone();
    }
  };
  return (
    <>
    <h3 id={`${id}-title`}>{channel ? `Edit channel ${channel.name}` : 'New channel'}</h3>
    <form onSubmit={submit} className="form-grid" aria-labelledby={`${id}-title`}>
      <label htmlFor={`${id}-name`}>Name</label>
      <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
      <label htmlFor={`${id}-kind`}>Kind</label>
      <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.target.value as NotificationChannelKind)}>
        <option value="WEBHOOK">WEBHOOK</option>
        <option value="SLACK">SLACK</option>
      </select>
      <label htmlFor={`${id}-url`}>URL</label>
      <input id={`${id}-url`} type="url" value={url} onChange={(e) => setUrl(e.target.value)} required placeholder="https://hooks.example.com/…" />
      {kind === 'WEBHOOK' ? (
        <>
          <label htmlFor={`${id}-secret`}>Signing secret</label>
          <input
            id={`${id}-secret`}
            type="password"
            autoComplete="new-password"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            placeholder={channel?.hasSecret ? 'stored: leave blank to keep it' : '16 to 512 characters (optional)'}
          />
        </>
      ) : null}
      <label htmlFor={`${id}-critical`}>Critical findings</label>
      <input id={`${id}-critical`} type="checkbox" checked={critical} onChange={(e) => setCritical(e.target.checked)} />
      <label htmlFor={`${id}-gates`}>Failed promotion gates</label>
      <input id={`${id}-gates`} type="checkbox" checked={gates} onChange={(e) => setGates(e.target.checked)} />
      <label htmlFor={`${id}-priority`}>Runtime alerts at or above</label>
      <select id={`${id}-priority`} value={priority} onChange={(e) => setPriority(e.target.value)}>
        <option value="">none</option>
        {PRIORITIES.map((p) => (
          <option key={p}>{p}</option>
        ))}
      </select>
      <label htmlFor={`${id}-enabled`}>Enabled</label>
      <input id={`${id}-enabled`} type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
      <button type="submit">{channel ? 'Save channel' : 'Create channel'}</button>
      {channel ? (
        <button type="button" onClick={onCancel}>
          Cancel editing
        </button>
      ) : null}
      <ErrorNote error={created.error ?? updated.error} />
    </form>
    </>
  );
}
