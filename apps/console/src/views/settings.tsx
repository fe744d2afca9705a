import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import type { ApiTokensQuery } from '../gql/graphql';
import { ErrorNote, formatTime, Loading, Section } from '../ui';
import { useViewer } from '../viewer';
import { roleAllows } from '../session';
import { NotificationChannels } from './settings-notifications';
import { AdmissionTrustedKeys } from './settings-trust-keys';

const TokensQuery = graphql(`
  query ApiTokens {
    apiTokens {
      id
      name
      role
      createdAt
      expiresAt
      revokedAt
      lastUsedAt
    }
  }
`);

const KeysQuery = graphql(`
  query SigningKeys {
    signingKeys {
      id
      name
      algorithm
      fingerprint
      createdAt
    }
  }
`);

const CreateToken = graphql(`
  mutation CreateApiToken($name: String!, $role: Role!, $expiresIn: String) {
    createApiToken(name: $name, role: $role, expiresIn: $expiresIn) {
      secret
      token {
        id
      }
    }
  }
`);

const RevokeToken = graphql(`
  mutation RevokeApiToken($id: ID!) {
    revokeApiToken(id: $id) {
      id
      revokedAt
    }
  }
`);

/**
 * Tokens (admin), notification targets (operator and admin, as the API allows), the admission
 * webhook's trusted keys (everyone reads, admins change) and the team's signing keys.
 */
export default function SettingsView() {
  const viewer = useViewer();
  return (
    <>
      <h1>Settings</h1>
      <p>
        Signed in as <strong>{viewer.name}</strong>, team <strong>{viewer.team}</strong>, role <strong>{viewer.role}</strong>.
      </p>
      {roleAllows(viewer.role, 'admin') ? <AdminSettings /> : <p>API tokens are managed by an admin of your team.</p>}
      {roleAllows(viewer.role, 'operator') ? <NotificationChannels /> : <p>Notification targets are managed by operators and admins of your team.</p>}
      <AdmissionTrustedKeys />
      <SigningKeys />
    </>
  );
}

function AdminSettings() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: TokensQuery });
  const [revoked, revoke] = useMutation(RevokeToken);
  const columns: Column<ApiTokensQuery['apiTokens'][number]>[] = [
    { header: 'Name', cell: (t) => t.name },
    { header: 'Role', cell: (t) => t.role },
    { header: 'Created', cell: (t) => formatTime(t.createdAt) },
    { header: 'Last used', cell: (t) => formatTime(t.lastUsedAt) },
    { header: 'State', cell: (t) => (t.revokedAt ? `revoked ${formatTime(t.revokedAt)}` : t.expiresAt ? `expires ${formatTime(t.expiresAt)}` : 'active') },
    {
      header: 'Action',
      cell: (t) =>
        t.revokedAt ? null : (
          <button type="button" aria-label={`Revoke token ${t.name}`} onClick={() => void revoke({ id: t.id }).then(() => refetch({ requestPolicy: 'network-only' }))}>
            Revoke
          </button>
        ),
    },
  ];
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  return (
    <>
      <Section title="API tokens">
        <NewToken onCreated={() => refetch({ requestPolicy: 'network-only' })} />
        <DataTable caption="Tokens of your team" columns={columns} rows={data.apiTokens} rowKey={(t) => t.id} />
        <ErrorNote error={revoked.error} />
      </Section>
    </>
  );
}

function NewToken({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<'viewer' | 'operator' | 'admin'>('viewer');
  const [expiresIn, setExpiresIn] = useState('');
  const [created, create] = useMutation(CreateToken);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await create({ name: name.trim(), role, expiresIn: expiresIn.trim() || null });
    if (!result.error) onCreated();
  };
  return (
    <form onSubmit={submit} className="filters" aria-label="New token">
      <label htmlFor="tok-name">Name</label>
      <input id="tok-name" value={name} onChange={(e) => setName(e.target.value)} required />
      <label htmlFor="tok-role">Role</label>
      <select id="tok-role" value={role} onChange={(e) => setRole(e.target.value as 'viewer')}>
        <option>viewer</option>
        <option>operator</option>
        <option>admin</option>
      </select>
      <label htmlFor="tok-exp">Expires in</label>
      <input id="tok-exp" value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)} placeholder="30d" size={6} />
      <button type="submit">Create token</button>
      <ErrorNote error={created.error} />
      {created.data ? (
        <p role="status">
          New token (shown once): <code>{created.data.createApiToken.secret}</code>
        </p>
      ) : null}
    </form>
  );
}

function SigningKeys() {
  const [{ data, error }] = useQuery({ query: KeysQuery });
  return (
    <Section title="Signing keys">
      <ErrorNote error={error} />
      {data && data.signingKeys.length === 0 ? <p>No server-side keys (createSigningKey).</p> : null}
      <ul>
        {data?.signingKeys.map((k) => (
          <li key={k.id}>
            {k.name} · {k.algorithm} · <span className="mono">{k.fingerprint}</span> · {formatTime(k.createdAt)}
          </li>
        ))}
      </ul>
    </Section>
  );
}
