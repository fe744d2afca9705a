import { useMutation } from 'urql';
import { graphql } from '../gql';
import { ErrorNote } from '../ui';

const SuppressMutation = graphql(`
  mutation SuppressFinding($id: ID!) {
    suppressFinding(id: $id) {
      id
      status
    }
  }
`);

const UnsuppressMutation = graphql(`
  mutation UnsuppressFinding($id: ID!) {
    unsuppressFinding(id: $id) {
      id
      status
    }
  }
`);

/** Suppress an open finding, or reopen a suppressed one: the API's suppressFinding / unsuppressFinding. */
export function SuppressControls({ id, status, label, onDone }: { id: string; status: string; label: string; onDone: () => void }) {
  const [suppressed, suppress] = useMutation(SuppressMutation);
  const [reopened, reopen] = useMutation(UnsuppressMutation);
  const busy = suppressed.fetching || reopened.fetching;
  return (
    <>
      {status === 'SUPPRESSED' ? (
        <button type="button" disabled={busy} aria-label={`Reopen ${label}`} onClick={() => void reopen({ id }).then((r) => !r.error && onDone())}>
          Reopen
        </button>
      ) : status === 'OPEN' ? (
        <button type="button" disabled={busy} aria-label={`Suppress ${label}`} onClick={() => void suppress({ id }).then((r) => !r.error && onDone())}>
          Suppress
        </button>
      ) : null}
      <ErrorNote error={suppressed.error ?? reopened.error} />
    </>
  );
}
