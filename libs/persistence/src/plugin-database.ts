import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import type { DataSource } from 'typeorm';

/**
 * PluginDatabase: parameterised SQL on the platform's connections, whose search_path is the
 * platform schema (so a plugin's unqualified table names are its migrations' tables).
 */
export class DataSourcePluginDatabase implements PluginDatabase {
  constructor(private readonly dataSource: DataSource) {}

  query<T = Record<string, unknown>>(sql: string, parameters: readonly unknown[] = []): Promise<T[]> {
    return this.dataSource.query(sql, [...parameters]);
  }

  transaction<T>(work: (db: Pick<PluginDatabase, 'query'>) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) =>
      work({ query: <R = Record<string, unknown>>(sql: string, parameters: readonly unknown[] = []): Promise<R[]> => manager.query(sql, [...parameters]) }),
    );
  }
}
