import { type CombinedError } from 'urql';
import { Link, useSearchParams } from 'react-router-dom';
import type { ReactNode } from 'react';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO', 'UNKNOWN'] as const;
export type SeverityName = (typeof SEVERITIES)[number];

export function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`badge sev-${severity.toLowerCase()}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status.toLowerCase()}`}>{status}</span>;
}

/** The GraphQL error as the API phrased it (it names the field or the problem), without urql's prefix. */
export function ErrorNote({ error }: { error: CombinedError | Error | string | undefined | null }) {
  if (!error) return null;
  const text = typeof error === 'string' ? error : 'graphQLErrors' in error && error.graphQLErrors.length > 0 ? error.graphQLErrors.map((e) => e.message).join('; ') : error.message;
  return (
    <p role="alert" className="error">
      {text}
    </p>
  );
}

export function Loading() {
  return (
    <p role="status" aria-live="polite" className="muted">
      Loading…
    </p>
  );
}

export function formatTime(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function shortDigest(digest: string): string {
  return digest.startsWith('sha256:') ? `sha256:${digest.slice(7, 19)}` : digest;
}

/**
 * Keyset pagination whose state lives in the URL (`after`), so every page can be shared: "Next"
 * moves to the page after the last row, "First page" drops the cursor. No offset: a page costs
 * the same at row 10 million as at row 1.
 */
export function Pager({ endCursor, hasNextPage, total, shown, param = 'after', label = 'Pages' }: { endCursor: string | null | undefined; hasNextPage: boolean; total?: number; shown: number; param?: string; label?: string }) {
  const [params] = useSearchParams();
  const at = params.get(param);
  const withCursor = (cursor: string | null): string => {
    const next = new URLSearchParams(params);
    if (cursor) next.set(param, cursor);
    else next.delete(param);
    const text = next.toString();
    return text ? `?${text}` : '?';
  };
  return (
    <nav className="pager" aria-label={label}>
      <span className="muted">
        {shown} shown{total !== undefined ? ` of ${total}` : ''}
      </span>
      {at ? <Link to={withCursor(null)}>First page</Link> : null}
      {hasNextPage && endCursor ? (
        <Link to={withCursor(endCursor)} rel="next">
          Next page
        </Link>
      ) : null}
    </nav>
  );
}

/** A filter's value in the URL's query string: reading it, and a setter that drops the page cursor. */
export function useUrlFilter(): [URLSearchParams, (changes: Record<string, string | null>) => void] {
  const [params, setParams] = useSearchParams();
  const update = (changes: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === '') next.delete(key);
      else next.set(key, value);
    }
    if (!('after' in changes)) next.delete('after');
    setParams(next);
  };
  return [params, update];
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  return (
    <section aria-labelledby={id ?? slug(title)} className="card">
      <h2 id={id ?? slug(title)}>{title}</h2>
      {children}
    </section>
  );
}

function slug(text: string): string {
  return `h-${text.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}
