import { createHash } from 'node:crypto';
import type { DataSource, EntityMetadata } from 'typeorm';

/*
 * Named prepared statements for the few statements every task runs (issue 15). Postgres plans an
 * unnamed statement anew on each execution: the task's one-statement finish, with its two
 * resolving CTEs, spent 0.7-0.9 ms planning against 0.25 ms executing. A named statement is
 * parsed once per connection and, after five executions, runs a cached generic plan.
 *
 * The statements must name their result columns: a cached plan of `RETURNING *` fails ("cached
 * plan must not change result type") once a migration adds a column while connections live.
 */

/** The part of pg's Pool this needs (pg has no type declarations in this workspace). */
interface PgPool {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

const names = new Map<string, string>();

/** A statement's name: derived from its text, so one name never stands for two texts on a connection. */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `bh_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Runs `text` as a named prepared statement on a pooled connection, outside any transaction
 * (an autocommitted statement). Rows come back as pg parses them, as `DataSource.query` returns them.
 */
export async function queryPrepared<T>(dataSource: DataSource, text: string, values: unknown[]): Promise<T[]> {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool) throw new Error('prepared statements need an initialized Postgres data source');
  const result = await pool.query({ name: statementName(text), text, values });
  return result.rows as T[];
}

/** The entity's columns as a quoted list, `prefix.` before each, for a RETURNING or SELECT that names them. */
export function columnList(metadata: EntityMetadata, prefix = ''): string {
  return metadata.columns.map((column) => `${prefix}"${column.databaseName.replace(/"/g, '""')}"`).join(', ');
}
