import { AuditLogStore, type AuditEntry } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { silentLogger } from '../testing/silent-logger';
import { AuditWriter } from './audit-writer';

jest.setTimeout(60_000);

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('api_audit_writer');
});

afterAll(async () => {
  await db?.drop();
});

const entry = (i: number): AuditEntry => ({ tokenId: null, tokenName: 'writer-test', team: 'default', operation: `mutation op${i}`, details: { i, secret: 'hidden' }, outcome: 'ok' });

describe('AuditWriter', () => {
  it('writes every entry, entries arriving while an INSERT is in flight together, each with the time of its request', async () => {
    const store = new AuditLogStore(db.dataSource);
    const batches: number[] = [];
    const appendMany = store.appendMany.bind(store);
    store.appendMany = async (entries) => {
      batches.push(entries.length);
      await appendMany(entries);
    };
    const writer = new AuditWriter(store, silentLogger());
    const before = Date.now();
    // A burst of 300 (concurrent requests' entries), then one more once the burst is written.
    for (let i = 0; i < 300; i++) writer.append(entry(i));
    await writer.flush();
    writer.append(entry(300));
    await writer.flush();
    const rows = await db.dataSource.query<{ operation: string; details: { i: number; secret: string }; at: Date }[]>(`SELECT operation, details, at FROM audit_log WHERE token_name = 'writer-test' ORDER BY (details->>'i')::int`);
    expect(rows.map((r) => r.details.i)).toEqual(Array.from({ length: 301 }, (_, i) => i));
    // Redacted as single appends are.
    expect(new Set(rows.map((r) => r.details.secret))).toEqual(new Set(['[REDACTED]']));
    expect(rows.every((r) => r.at.getTime() >= before - 1 && r.at.getTime() <= Date.now())).toBe(true);
    // The burst, appended within one turn of the event loop, is one INSERT; the late entry another.
    expect(batches).toEqual([300, 1]);
  });

  it('logs a failed INSERT and keeps writing later entries', async () => {
    const store = new AuditLogStore(db.dataSource);
    const writer = new AuditWriter(store, silentLogger());
    // A write Postgres refuses (a check this test adds): the entry is logged as lost, the writer goes on.
    await db.dataSource.query(`ALTER TABLE audit_log ADD CONSTRAINT writer_test_no_fail CHECK (operation <> 'mutation fail')`);
    try {
      writer.append({ ...entry(0), operation: 'mutation fail' });
      await writer.flush();
      writer.append({ ...entry(1), operation: 'mutation after-failure' });
      await writer.flush();
    } finally {
      await db.dataSource.query(`ALTER TABLE audit_log DROP CONSTRAINT writer_test_no_fail`);
    }
    const rows = await db.dataSource.query<{ operation: string }[]>(`SELECT operation FROM audit_log WHERE operation IN ('mutation fail', 'mutation after-failure')`);
    expect(rows.map((r) => r.operation)).toEqual(['mutation after-failure']);
  });
});
