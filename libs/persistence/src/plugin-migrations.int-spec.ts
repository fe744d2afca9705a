import type { PluginMigration } from '@bulkhead/plugin-sdk/api';
import { PluginMigrationError, runPluginMigrations } from './plugin-migrations';
import { createTestDatabase, type TestDatabase } from './test-database';

/** A step that records its run in `log` (a table the first step creates) and in `ran`. */
function step(id: string, ran: string[], sql?: string): PluginMigration {
  return {
    id,
    up: async (db) => {
      ran.push(id);
      await db.query(sql ?? 'INSERT INTO log (step) VALUES ($1)', sql ? [] : [id]);
    },
  };
}

describe('runPluginMigrations', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('plugin_migrations');
  });
  afterAll(() => db?.drop());

  it('runs each plugin step once, in listed order, plugin after plugin, and records it', async () => {
    const ran: string[] = [];
    const sets = [
      { pluginId: 'acme.a', migrations: [step('0002-create', ran, 'CREATE TABLE log (n serial, step text)'), step('0001-second', ran)] },
      { pluginId: 'acme.b', migrations: [step('0001-first', ran)] },
    ];
    expect(await runPluginMigrations(db.dataSource, sets)).toEqual([
      { pluginId: 'acme.a', migrationId: '0002-create' },
      { pluginId: 'acme.a', migrationId: '0001-second' },
      { pluginId: 'acme.b', migrationId: '0001-first' },
    ]);
    // Listed order, not id order; the same id in two plugins is two steps.
    expect(await db.dataSource.query('SELECT step FROM log ORDER BY n')).toEqual([{ step: '0001-second' }, { step: '0001-first' }]);
    // Again, and from two processes at once: nothing runs twice.
    const again: string[] = [];
    const twice = [
      { pluginId: 'acme.a', migrations: [step('0002-create', again, 'CREATE TABLE log (n serial, step text)'), step('0001-second', again), step('0003-new', again)] },
      { pluginId: 'acme.b', migrations: [step('0001-first', again)] },
    ];
    const [one, other] = await Promise.all([runPluginMigrations(db.dataSource, twice), runPluginMigrations(db.dataSource, twice)]);
    expect([...one, ...other]).toEqual([{ pluginId: 'acme.a', migrationId: '0003-new' }]);
    expect(again).toEqual(['0003-new']);
    const recorded: { plugin_id: string; migration_id: string }[] = await db.dataSource.query('SELECT plugin_id, migration_id FROM plugin_migration ORDER BY plugin_id, migration_id');
    expect(recorded.map((r) => `${r.plugin_id}/${r.migration_id}`)).toEqual(['acme.a/0001-second', 'acme.a/0002-create', 'acme.a/0003-new', 'acme.b/0001-first']);
  });

  it('a failing step rolls back with its record and stops the run, naming plugin and step', async () => {
    const ran: string[] = [];
    const sets = [
      {
        pluginId: 'acme.c',
        migrations: [
          step('0001-ok', ran, 'CREATE TABLE c_ok (n int)'),
          { id: '0002-half', up: async (q: { query: (sql: string) => Promise<unknown> }) => void (await q.query('CREATE TABLE c_half (n int)'), await q.query('SELECT nope FROM c_half')) },
          step('0003-never', ran, 'CREATE TABLE c_never (n int)'),
        ],
      },
    ];
    const error = await runPluginMigrations(db.dataSource, sets).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PluginMigrationError);
    expect(error).toMatchObject({ pluginId: 'acme.c', migrationId: '0002-half' });
    expect((error as Error).message).toMatch(/^plugin acme\.c: migration 0002-half failed: column "nope" does not exist/);
    expect(ran).toEqual(['0001-ok']);
    const tables: { t: string | null }[] = await db.dataSource.query(`SELECT to_regclass('c_ok')::text AS t UNION ALL SELECT to_regclass('c_half')::text UNION ALL SELECT to_regclass('c_never')::text`);
    expect(tables.map((r) => r.t)).toEqual(['c_ok', null, null]);
    const recorded: unknown[] = await db.dataSource.query(`SELECT migration_id FROM plugin_migration WHERE plugin_id = 'acme.c'`);
    expect(recorded).toEqual([{ migration_id: '0001-ok' }]);
  });

  it('refuses a list with duplicate or missing ids before running anything', async () => {
    const ran: string[] = [];
    const error = await runPluginMigrations(db.dataSource, [{ pluginId: 'acme.d', migrations: [step('0001', ran, 'SELECT 1'), step('0001', ran, 'SELECT 1'), step(' ', ran, 'SELECT 1')] }]).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/^plugin acme\.d: invalid migration list: migration id "0001" is listed twice; migration #3 has no id$/);
    expect(ran).toEqual([]);
  });
});
