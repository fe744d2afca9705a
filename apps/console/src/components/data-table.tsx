import type { ReactNode } from 'react';
import type { Role } from '../session';
import { Can } from '../viewer';

/** One column of a DataTable: its header, how a row fills the cell, and who may see it. */
export interface Column<T> {
  header: ReactNode;
  cell: (row: T) => ReactNode;
  className?: string;
  /** The cell's tooltip (title attribute), e.g. an advisory's full title. */
  title?: (row: T) => string | undefined;
  /** A column only this role (or a higher one) sees, header and cells alike: actions, mostly. */
  role?: Role;
}

/**
 * The console's table of rows: a caption (screen readers announce it), `scope="col"` headers and
 * one row per item. Every list view renders through it so the markup axe checks stays the same.
 */
export function DataTable<T>({ caption, columns, rows, rowKey, testId, rowTestId }: { caption: ReactNode; columns: readonly Column<T>[]; rows: readonly T[]; rowKey: (row: T, index: number) => string; testId?: string; rowTestId?: string }) {
  return (
    <table data-testid={testId}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {columns.map((column, i) => (
            <Guard key={i} role={column.role}>
              <th scope="col">{column.header}</th>
            </Guard>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr key={rowKey(row, index)} data-testid={rowTestId}>
            {columns.map((column, i) => (
              <Guard key={i} role={column.role}>
                <td className={column.className} title={column.title?.(row)}>
                  {column.cell(row)}
                </td>
              </Guard>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Guard({ role, children }: { role: Role | undefined; children: ReactNode }) {
  return role ? <Can role={role}>{children}</Can> : <>{children}</>;
}
