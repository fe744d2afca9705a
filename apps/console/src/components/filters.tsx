import type { ReactNode } from 'react';
import type { Connection } from './paged';
import { Pager } from '../ui';

/** The row of filters above a list: a labelled group, so assistive tech reads "Filters". */
export function FilterBar({ children, labelled = true }: { children: ReactNode; labelled?: boolean }) {
  return labelled ? (
    <div className="filters" role="group" aria-label="Filters">
      {children}
    </div>
  ) : (
    <div className="filters">{children}</div>
  );
}

/**
 * A labelled <select> of fixed choices. With `any`, an empty first option means "no filter"
 * (the URL then drops the key); without it, one of the choices is always selected.
 */
export function SelectFilter({ id, label, value, options, any = true, onChange }: { id: string; label: string; value: string | null; options: readonly string[]; any?: boolean; onChange: (value: string) => void }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
        {any ? <option value="">any</option> : null}
        {options.map((option) => (
          <option key={option}>{option}</option>
        ))}
      </select>
    </>
  );
}

/** A labelled free-text filter, applied on Enter or when focus leaves it (not on every keystroke: each change is a query). */
export function TextFilter({ id, label, value, onCommit }: { id: string; label: string; value: string | null; onCommit: (value: string) => void }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <input id={id} defaultValue={value ?? ''} onKeyDown={(e) => e.key === 'Enter' && onCommit(e.currentTarget.value.trim())} onBlur={(e) => onCommit(e.target.value.trim())} />
    </>
  );
}

/** The keyset Pager for one GraphQL connection (totalCount, pageInfo, edges). */
export function ConnectionPager({ connection, param, label }: { connection: Connection; param?: string; label?: string }) {
  return <Pager endCursor={connection.pageInfo.endCursor} hasNextPage={connection.pageInfo.hasNextPage} total={connection.totalCount} shown={connection.edges.length} param={param} label={label} />;
}
