import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import type { AdmissionTrustedKeysQuery } from '../gql/graphql';
import { ErrorNote, formatTime, Loading, Section } from '../ui';
import { Can } from '../viewer';

/*
 * The admission webhook's trusted keys: everyone of the team reads them (public keys); admins add
 * and remove the team's own. Keys of the policy file are shown but can only change in the file.
 */

const KeysQuery = graphql(`
  query AdmissionTrustedKeys {
    admissionTrustedKeys {
      webhookEnabled
      acceptsApiKeys
      signatureRuleEnabled
      maxApiKeys
      keys {
        fingerprint
        name
        publicKey
        source
        addedBy
        addedAt
      }
    }
  }
`);

const AddKey = graphql(`
  mutation AddAdmissionTrustedKey($name: String!, $publicKey: String!) {
    addAdmissionTrustedKey(name: $name, publicKey: $publicKey) {
      fingerprint
    }
  }
`);

const RemoveKey = graphql(`
  mutation RemoveAdmissionTrustedKey($fingerprint: String!) {
    removeAdmissionTrustedKey(fingerprint: $fingerprint) {
      fingerprint
    }
  }
`);

type Key = AdmissionTrustedKeysQuery['admissionTrustedKeys']['keys'][number];

export function AdmissionTrustedKeys() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: KeysQuery });
  const [removed, remove] = useMutation(RemoveKey);
  const reload = () => refetch({ requestPolicy: 'network-only' });
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const state = data.admissionTrustedKeys;
  const apiKeys = state.keys.filter((k) => k.source === 'API').length;
  const columns: Column<Key>[] = [
    { header: 'Name', cell: (k) => k.name },
    { header: 'Fingerprint', cell: (k) => k.fingerprint, className: 'mono' },
    { header: 'Source', cell: (k) => (k.source === 'FILE' ? 'policy file' : 'API') },
    { header: 'Added', cell: (k) => (k.addedBy ? `${k.addedBy}, ${formatTime(k.addedAt)}` : '—') },
    {
      header: 'Action',
      role: 'admin',
      cell: (k) =>
        k.source === 'API' ? (
          <button type="button" aria-label={`Remove trusted key ${k.name}`} onClick={() => void remove({ fingerprint: k.fingerprint }).then((r) => (r.error ? undefined : reload()))}>
            Remove
          </button>
        ) : (
          <span className="muted">change it in the policy file</span>
        ),
    },
  ];
  return (
    <Section title="Admission trust keys">
      <p data-testid="admission-state">{describeState(state)}</p>
      {state.keys.length === 0 ? <p>No trusted key.</p> : <DataTable caption="Keys the admission webhook trusts for your team" columns={columns} rows={state.keys} rowKey={(k) => `${k.source}-${k.fingerprint}`} rowTestId="trusted-key" />}
      <ErrorNote error={removed.error} />
      <Can role="admin">{state.acceptsApiKeys ? <NewKey onAdded={reload} count={apiKeys} max={state.maxApiKeys} /> : null}</Can>
    </Section>
  );
}

function describeState(state: AdmissionTrustedKeysQuery['admissionTrustedKeys']): string {
  if (!state.webhookEnabled) return 'The admission webhook is off on this server (no policy file): keys are listed but not used.';
  if (!state.signatureRuleEnabled) return 'The admission policy has no signature rule: keys are not used.';
  if (!state.acceptsApiKeys) return 'The admission policy trusts only the keys of its file (apiTrustedKeys is off): keys cannot be added here.';
  return `Every admitted image must carry a valid signature by one of these keys. Your team's admins may add up to ${state.maxApiKeys}.`;
}

function NewKey({ onAdded, count, max }: { onAdded: () => void; count: number; max: number }) {
  const [name, setName] = useState('');
  const [publicKey, setPublicKey] = useState('');
  const [added, add] = useMutation(AddKey);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await add({ name: name.trim(), publicKey });
    if (!result.error) {
      setName('');
      setPublicKey('');
      onAdded();
    }
  };
  return (
    <>
      <h3 id="tk-title">Add a trusted key ({count} of {max})</h3>
      <form onSubmit={submit} className="form-grid" aria-labelledby="tk-title">
        <label htmlFor="tk-name">Name</label>
        <input id="tk-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        <label htmlFor="tk-pem">Public key (PEM)</label>
        <textarea id="tk-pem" value={publicKey} onChange={(e) => setPublicKey(e.target.value)} required rows={5} cols={66} className="mono" placeholder="-----BEGIN PUBLIC KEY-----" spellCheck={false} />
        <button type="submit">Trust key</button>
        <ErrorNote error={added.error} />
      </form>
    </>
  );
}
