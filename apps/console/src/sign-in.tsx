import { useState, type FormEvent } from 'react';
import { looksLikeToken } from './session';

/**
 * The sign-in form: an API token (bhk_...), checked by the API with the `me` query before the
 * console opens. The form never submits to a URL (the token would land in history and logs).
 */
export function SignIn({ onToken, problem }: { onToken: (token: string) => void; problem: string | null }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const token = value.trim();
    if (!looksLikeToken(token)) {
      setError('An API token starts with bhk_ followed by at least 20 letters, digits, - or _.');
      return;
    }
    setError(null);
    onToken(token);
  };
  const shown = error ?? problem;
  return (
    <main id="main" className="sign-in">
      <h1>Bulkhead console</h1>
      <form onSubmit={submit} method="post" action="#" autoComplete="off" aria-describedby="token-help">
        <label htmlFor="token">API token</label>
        <input id="token" name="token" type="password" value={value} onChange={(e) => setValue(e.target.value)} required spellCheck={false} aria-invalid={shown ? true : undefined} />
        <p id="token-help" className="muted">
          Create one with <code>bulkhead token create --team TEAM --role viewer</code>. It is kept for this tab only.
        </p>
        {shown ? (
          <p role="alert" className="error">
            {shown}
          </p>
        ) : null}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
