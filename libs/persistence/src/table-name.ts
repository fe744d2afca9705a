import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/** Schema-qualified, quoted table name of an entity, for the few statements written in SQL. */
export function tableName(dataSource: DataSource, entity: EntityTarget<ObjectLiteral>): string {
  const meta = dataSource.getMetadata(entity);
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  return meta.schema ? `${quote(meta.schema)}.${quote(meta.tableName)}` : quote(meta.tableName);
}
