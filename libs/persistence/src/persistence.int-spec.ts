import type { ArtifactResult, FindingResult, PackageResult } from '@bulkhead/plugin-sdk';
import {
  ArtifactEntity,
  FindingEntity,
  FindingStore,
  ImageStore,
  InvalidCursorError,
  PackageEntity,
  ResultWriter,
  TaskEntity,
  TaskStatus,
  TaskStore,
} from './index';
import { createTestDatabase, type TestDatabase } from './testing';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('persistence');
});

afterAll(async () => {
  await db?.drop();
});

describe('schema', () => {
  it('entities match what the migrations create', async () => {
    const log = await db.dataSource.driver.createSchemaBuilder().log();
    expect(log.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('created the tables in the suite schema only', async () => {
    const rows: { table_name: string }[] = await db.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [db.schema],
    );
    expect(rows.map((r) => r.table_name)).toEqual(['api_token', 'artifact', 'audit_log', 'finding', 'finding_count', 'finding_count_delta', 'finding_count_team', 'finding_open_daily', 'finding_open_daily_since', 'migrations', 'notification_channel', 'notification_delivery', 'package', 'plugin_migration', 'schedule', 'task', 'task_finding_scope', 'task_log', 'upload']);
  });
});

describe('ResultWriter', () => {
  const digest = 'sha256:' + 'a'.repeat(64);
  const artifact: ArtifactResult = {
    digest,
    references: ['oci:/images/app'],
    os: { family: 'debian', version: '12' },
    size: 1234,
    layers: [{ digest: 'sha256:' + 'b'.repeat(64), size: 1234 }],
  };
  const packages: PackageResult[] = [
    { type: 'deb', name: 'bash', version: '5.2', purl: 'pkg:deb/debian/bash@5.2', layer: 'sha256:l1' },
    { type: 'deb', name: 'libc6', version: '2.36', purl: 'pkg:deb/debian/libc6@2.36', layer: 'sha256:l1' },
    { type: 'deb', name: 'zlib1g', version: '1.2', purl: 'pkg:deb/debian/zlib1g@1.2' },
  ];
  const findings: FindingResult[] = [
    { kind: 'scanner', severity: 'HIGH', ruleId: 'CVE-2024-0001', title: 'bad', target: digest, location: 'bash' },
    { kind: 'scanner', severity: 'LOW', ruleId: 'CVE-2024-0002', title: 'meh', target: digest, location: 'libc6' },
  ];

  async function counts() {
    const m = db.dataSource.manager;
    return { artifacts: await m.count(ArtifactEntity), packages: await m.count(PackageEntity), findings: await m.count(FindingEntity) };
  }

  it('writes the same results twice without duplicating rows', async () => {
    const writer = new ResultWriter(db.dataSource, null);
    for (let i = 0; i < 2; i++) {
      await writer.artifact(artifact);
      await writer.packages(digest, packages);
      await writer.findings(findings);
    }
    expect(await counts()).toEqual({ artifacts: 1, packages: 3, findings: 2 });
  });

  it('merges references, upserts the inventory and keeps firstSeenAt', async () => {
    const store = new FindingStore(db.dataSource);
    const before = (await store.list({ target: digest })).edges.map((e) => e.node);
    await new Promise((r) => setTimeout(r, 20));
    const writer = new ResultWriter(db.dataSource, null);
    await writer.artifact({ ...artifact, references: ['registry.example/app:1'] });
    await writer.packages(digest, packages.slice(0, 1));
    await writer.findings([{ ...findings[0], severity: 'CRITICAL' } as FindingResult]);

    const images = new ImageStore(db.dataSource);
    const stored = await images.getByDigest(digest);
    expect(stored?.references).toEqual(['oci:/images/app', 'registry.example/app:1']);
    expect(stored?.size).toBe(1234);
    expect(await images.countPackages(stored?.id ?? '')).toBe(1);
    const after = (await store.list({ target: digest })).edges.map((e) => e.node);
    const bash = after.find((f) => f.location === 'bash');
    const bashBefore = before.find((f) => f.location === 'bash');
    if (!bash || !bashBefore) throw new Error('finding for bash missing');
    expect(bash.severity).toBe('CRITICAL');
    expect(bash.firstSeenAt).toEqual(bashBefore.firstSeenAt);
    expect(bash.lastSeenAt.getTime()).toBeGreaterThan(bashBefore.lastSeenAt.getTime());
  });

  it('refuses packages of an artifact it has not seen', async () => {
    await expect(new ResultWriter(db.dataSource, null).packages('sha256:unknown', packages)).rejects.toThrow(/unknown artifact sha256:unknown/);
  });

  it('paginates an inventory by name', async () => {
    const writer = new ResultWriter(db.dataSource, null);
    const d2 = 'sha256:' + 'c'.repeat(64);
    await writer.artifact({ ...artifact, digest: d2 });
    const many = Array.from({ length: 25 }, (_, i) => ({ type: 'npm', name: `p${String(i).padStart(2, '0')}`, version: '1.0.0', purl: `pkg:npm/p${i}@1.0.0` }));
    await writer.packages(d2, many);
    const images = new ImageStore(db.dataSource);
    const id = (await images.getByDigest(d2))?.id ?? '';
    const names: string[] = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<ImageStore['packages']>> = await images.packages(id, { first: 10, after });
      names.push(...page.edges.map((e) => e.node.name));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(names).toEqual(many.map((p) => p.name));
  });
});

describe('ImageStore.executables', () => {
  const scanned = 'sha256:' + 'e'.repeat(64);
  const older = 'sha256:' + 'f'.repeat(64);

  beforeAll(async () => {
    const writer = new ResultWriter(db.dataSource, null);
    const base = { references: ['oci:/images/exec'], size: 1, layers: [] };
    await writer.artifact({ ...base, digest: scanned, metadata: { source: 'oci', executables: ['/bin/sh', '/usr/bin/dash'], executableCount: 2 } });
    await writer.artifact({ ...base, digest: older, metadata: { source: 'oci' } });
  });

  it('reads the recorded executables of an image', async () => {
    const store = new ImageStore(db.dataSource);
    expect(await store.executables(scanned)).toEqual(new Set(['/bin/sh', '/usr/bin/dash']));
  });

  it('gives null for an unknown image and for one scanned before executables were recorded', async () => {
    const store = new ImageStore(db.dataSource);
    expect(await store.executables('sha256:' + '0'.repeat(64))).toBeNull();
    expect(await store.executables(older)).toBeNull();
  });

  it('keeps the latest list when the image is scanned again', async () => {
    const writer = new ResultWriter(db.dataSource, null);
    await writer.artifact({ digest: scanned, references: ['oci:/images/exec'], size: 1, layers: [], metadata: { executables: ['/bin/sh'], executableCount: 1 } });
    const store = new ImageStore(db.dataSource);
    expect(await store.executables(scanned)).toEqual(new Set(['/bin/sh']));
    expect((await store.getByDigest(scanned))?.metadata).toMatchObject({ source: 'oci', executableCount: 1 });
  });
});

describe('TaskStore', () => {
  it('pages through tasks newest first without gaps or repeats', async () => {
    const store = new TaskStore(db.dataSource);
    const created: TaskEntity[] = [];
    for (let i = 0; i < 23; i++) created.push(await store.create({ kind: 'scanner', type: 'page-test', input: { i } }));
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<TaskStore['list']>> = await store.list({ type: 'page-test' }, { first: 5, after });
      seen.push(...page.edges.map((e) => e.node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(5);
    // Newest first; tasks created in the same millisecond (created_at keeps milliseconds) by id, descending.
    const newestFirst = [...created].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
    expect(seen).toEqual(newestFirst.map((t) => t.id));
    await expect(store.list({}, { after: 'not-a-cursor' })).rejects.toThrow(InvalidCursorError);
    await expect(store.list({}, { first: 0 })).rejects.toThrow(/first must be/);
  });

  it('allows only valid transitions', async () => {
    const store = new TaskStore(db.dataSource);
    const task = await store.create({ kind: 'scanner', type: 'transition-test', input: {} });
    expect(await store.succeed(task.id, {})).toBeNull(); // QUEUED cannot succeed
    const running = await store.markRunning(task.id);
    expect(running).toMatchObject({ status: TaskStatus.RUNNING, attempts: 1 });
    expect(running?.startedAt).toBeInstanceOf(Date);
    expect(await store.updateProgress(task.id, 0.5, 'half')).toBe(true);
    const done = await store.succeed(task.id, { ok: true });
    expect(done).toMatchObject({ status: TaskStatus.SUCCEEDED, result: { ok: true }, progress: 1 });
    expect(await store.markRunning(task.id)).toBeNull(); // a late delivery does nothing
    expect(await store.updateProgress(task.id, 0.1)).toBe(false);
    await expect(store.cancel(task.id)).rejects.toThrow(`cannot cancel task ${task.id}: it is SUCCEEDED`);
    expect(await store.get('not-a-uuid')).toBeNull();
  });

  it('returns the live task for a repeated dedup key, and a new one after failure', async () => {
    const store = new TaskStore(db.dataSource);
    const request = { kind: 'scanner' as const, type: 'dedup-test', input: {}, dedupKey: 'scanner/dedup-test@1:x' };
    const results = await Promise.all([store.createOrGet(request), store.createOrGet(request), store.createOrGet(request)]);
    expect(new Set(results.map((r) => r.task.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const firstId = results[0]?.task.id ?? '';
    await store.fail(firstId, 'boom');
    const again = await store.createOrGet(request);
    expect(again.created).toBe(true);
    expect(again.task.id).not.toBe(firstId);
  });

  it('lists unfinished tasks oldest first', async () => {
    const store = new TaskStore(db.dataSource);
    const unfinished = await store.listUnfinished({ limit: 1000 });
    expect(unfinished.every((t) => t.status === TaskStatus.QUEUED || t.status === TaskStatus.RUNNING)).toBe(true);
    const times = unfinished.map((t) => t.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const fifth = unfinished[4];
    if (!fifth) throw new Error('expected at least 5 unfinished tasks');
    const page2 = await store.listUnfinished({ limit: 1000, after: { createdAt: fifth.createdAt, id: fifth.id } });
    expect(page2.map((t) => t.id)).toEqual(unfinished.slice(5).map((t) => t.id));
  });
});
