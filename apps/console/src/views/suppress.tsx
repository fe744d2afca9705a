import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useMutation, type Client } from 'urql';
import { graphql } from '../gql';
import type { VexJustification } from '../gql/graphql';
import { ErrorNote, formatTime } from '../ui';

const SuppressMutation = graphql(`
  mutation SuppressFinding($id: ID!, $reason: String, $justification: VexJustification, $expiresAt: DateTime) {
    suppressFinding(id: $id, reason: $reason, justification: $justification, expiresAt: $expiresAt) {
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

const VexQuery = graphql(`
  query VexDocument($imageId: ID!) {
    vexDocument(imageId: $imageId)
  }
`);

/** The OpenVEX justifications, as the API names them, with what they mean. */
const JUSTIFICATIONS: readonly { value: VexJustification; label: string }[] = [
  { value: 'COMPONENT_NOT_PRESENT', label: 'Component not present (false positive)' },
  { value: 'VULNERABLE_CODE_NOT_PRESENT', label: 'Vulnerable code not present' },
  { value: 'VULNERABLE_CODE_NOT_IN_EXECUTE_PATH', label: 'Vulnerable code not in execute path' },
  { value: 'VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY', label: 'Vulnerable code cannot be controlled by an adversary' },
  { value: 'INLINE_MITIGATIONS_ALREADY_EXIST', label: 'Inline mitigations already exist' },
];

/** The API's bounds (suppressFinding): a reason of at most 1000 characters, an expiry at most 365 days ahead. */
const MAX_REASON = 1000;
const MAX_DAYS = 365;

/** YYYY-MM-DD of a local date `days` from today. */
function localDay(days: number): string {
  const date = new Date();
  date.setDate(date.getDate() + days);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

/**
 * Suppress an open finding (a dialog asks why, with an OpenVEX justification and an optional
 * expiry), or reopen a suppressed one: the API's suppressFinding / unsuppressFinding. The dialog
 * is a native modal <dialog>: focus stays inside it, Escape closes it, focus returns to the button.
 */
export function SuppressControls({ id, status, label, onDone }: { id: string; status: string; label: string; onDone: () => void }) {
  const [suppressed, suppress] = useMutation(SuppressMutation);
  const [reopened, reopen] = useMutation(UnsuppressMutation);
  const dialog = useRef<HTMLDialogElement>(null);
  const [open, setOpen] = useState(false);
  const ids = useId();
  const busy = suppressed.fetching || reopened.fetching;

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const reason = String(form.get('reason') ?? '').trim();
    const justification = String(form.get('justification') ?? '');
    const until = String(form.get('expires') ?? '');
    void suppress({
      id,
      reason,
      justification: justification ? (justification as VexJustification) : null,
      // The chosen day, at its start in the browser's time zone.
      expiresAt: until ? new Date(`${until}T00:00:00`).toISOString() : null,
    }).then((result) => {
      if (result.error) return;
      setOpen(false);
      onDone();
    });
  };

  if (status === 'SUPPRESSED') {
    return (
      <>
        <button type="button" disabled={busy} aria-label={`Reopen ${label}`} onClick={() => void reopen({ id }).then((r) => !r.error && onDone())}>
          Reopen
        </button>
        <ErrorNote error={reopened.error} />
      </>
    );
  }
  if (status !== 'OPEN') return null;
  return (
    <>
      <button type="button" disabled={busy} aria-label={`Suppress ${label}`} aria-haspopup="dialog" onClick={() => setOpen(true)}>
        Suppress
      </button>
      <dialog ref={dialog} className="dialog" aria-labelledby={`${ids}-title`} onClose={() => setOpen(false)}>
        {open ? (
          <form className="form-grid" onSubmit={submit}>
            <h2 id={`${ids}-title`}>Suppress {label}</h2>
            <label htmlFor={`${ids}-reason`}>Reason</label>
            <textarea id={`${ids}-reason`} name="reason" required maxLength={MAX_REASON} rows={3} aria-describedby={`${ids}-reason-help`} />
            <p id={`${ids}-reason-help`} className="muted hint">
              Why it needs no action (required, at most {MAX_REASON} characters). It becomes the VEX statement&apos;s impact statement.
            </p>
            <label htmlFor={`${ids}-justification`}>Justification</label>
            <select id={`${ids}-justification`} name="justification" defaultValue="">
              <option value="">None (reason only)</option>
              {JUSTIFICATIONS.map((j) => (
                <option key={j.value} value={j.value}>
                  {j.label}
                </option>
              ))}
            </select>
            <label htmlFor={`${ids}-expires`}>Expires on</label>
            <input id={`${ids}-expires`} name="expires" type="date" min={localDay(1)} max={localDay(MAX_DAYS)} aria-describedby={`${ids}-expires-help`} />
            <p id={`${ids}-expires-help`} className="muted hint">
              Optional: the finding is open again from that day. Empty: until someone reopens it.
            </p>
            <ErrorNote error={suppressed.error} />
            <div className="inline">
              <button type="submit" disabled={busy}>
                Confirm suppression
              </button>
              <button type="button" onClick={() => setOpen(false)}>
                Cancel
              </button>
            </div>
          </form>
        ) : null}
      </dialog>
    </>
  );
}

/** A suppressed finding's why, until when and by whom, in one line. */
export function SuppressionNote({ suppression }: { suppression: { reason?: string | null; justification?: string | null; expiresAt?: string | null; suppressedBy?: string | null } | null | undefined }) {
  if (!suppression) return null;
  const justification = JUSTIFICATIONS.find((j) => j.value === suppression.justification)?.label;
  return (
    <span className="suppression" data-testid="suppression">
      {suppression.reason ?? 'no reason recorded'}
      {justification ? ` · ${justification}` : ''}
      {` · ${suppression.expiresAt ? `until ${formatTime(suppression.expiresAt)}` : 'no expiry'}`}
      {suppression.suppressedBy ? ` · by ${suppression.suppressedBy}` : ''}
    </span>
  );
}

/** The image's suppressed vulnerabilities as an OpenVEX document (the API's vexDocument), saved as a file. */
export async function downloadVex(client: Client, imageId: string): Promise<void> {
  const result = await client.query(VexQuery, { imageId }, { requestPolicy: 'network-only' }).toPromise();
  if (result.error) throw new Error(`VEX: ${result.error.graphQLErrors[0]?.message ?? result.error.message}`);
  const url = URL.createObjectURL(new Blob([JSON.stringify(result.data?.vexDocument, null, 2)], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `vex-${imageId.replace(/[^a-z0-9]/gi, '-').slice(0, 40)}.openvex.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
