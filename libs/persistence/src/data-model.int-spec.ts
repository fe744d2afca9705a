import type { ArtifactResult, FindingResult, PackageResult } from '@bulkhead/plugin-sdk';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  dataSourceOptions,
  FindingStatus,
  FindingStore,
  ImageStore,
  migrations,
  PackageEntity,
  ResultWriter,
  TaskStore,
  type FindingEntity,
} from './index';
import { createTestDatabase, type TestDatabase } from './testing';

/*
 * The data model's guarantees on real Postgres: stable package ids across rescans, one image
 * record found by config or manifest digest, the finding lifecycle, task provenance, and the
 * migration of rows written before all that.
 */

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('data_model');
});

afterAll(async () => {
  await db?.drop();
});

const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe('packages: upserted with stable ids', () => {
  const imageId = digest('1');
  const artifact: ArtifactResult = { digest: imageId, references: ['oci:/a'], size: 1, layers: [] };
  const pkg = (name: string, version: string, layer = 'sha256:l1', extra: Partial<PackageResult> = {}): PackageResult => ({
    type: 'deb',
    name,
    version,
    purl: `pkg:deb/debian/${name}@${version}`,
    layer,
    ...extra,
  });

  async function stored(): Promise<Map<string, PackageEntity>> {
    const rows = await db.dataSource.manager.find(PackageEntity, { where: { artifactId: (await new ImageStore(db.dataSource).getByDigest(imageId))?.id ?? '' } });
    return new Map(rows.map((p) => [`${p.purl} ${p.layer}`, p]));
  }

  it('keeps every id on a rescan, updates changed rows in place, inserts new and deletes vanished packages', async () => {
    const writer = new ResultWriter(db.dataSource, null);
    await writer.artifact(artifact);
    const first = [pkg('bash', '5.2'), pkg('libc6', '2.36'), pkg('zlib1g', '1.2', ''), pkg('tzdata', '2024a')];
    await writer.packages(imageId, first);
    const before = await stored();
    expect(before.size).toBe(4);

    await writer.artifact(artifact);
    await writer.packages(imageId, [...first].reverse());
    const rescanned = await stored();
    expect([...rescanned].map(([key, p]) => [key, p.id])).toEqual(expect.arrayContaining([...before].map(([key, p]) => [key, p.id])));
    expect(rescanned.size).toBe(4);

    // bash gains metadata, tzdata disappears, curl appears; libc6 moves to another layer (another identity).
    await writer.packages(imageId, [pkg('bash', '5.2', 'sha256:l1', { metadata: { arch: 'amd64' } }), pkg('libc6', '2.36', 'sha256:l2'), pkg('zlib1g', '1.2', ''), pkg('curl', '8.0')]);
    const after = await stored();
    const key = (p: PackageResult) => `${p.purl} ${p.layer ?? ''}`;
    expect(after.get(key(pkg('bash', '5.2')))).toMatchObject({ id: before.get(key(pkg('bash', '5.2')))?.id, metadata: { arch: 'amd64' } });
    expect(after.get(key(pkg('zlib1g', '1.2', '')))?.id).toBe(before.get(key(pkg('zlib1g', '1.2', '')))?.id);
    expect(after.has(key(pkg('tzdata', '2024a')))).toBe(false);
    expect(after.has(key(pkg('libc6', '2.36')))).toBe(false);
    expect(after.get(key(pkg('libc6', '2.36', 'sha256:l2')))?.id).not.toBe(before.get(key(pkg('libc6', '2.36')))?.id);
    expect(after.has(key(pkg('curl', '8.0')))).toBe(true);
    expect(after.size).toBe(4);

    await writer.packages(imageId, []);
    expect((await stored()).size).toBe(0); // an empty inventory is an inventory
  });

  it('stores hostile text as data', async () => {
    const writer = new ResultWriter(db.dataSource, null);
    const nasty = `x'); DROP TABLE package; --`;
    await writer.packages(imageId, [pkg(nasty, '1', 'sha256:l1', { purl: `pkg:deb/debian/${encodeURIComponent(nasty)}@1` })]);
    expect([...(await stored()).values()].map((p) => p.name)).toEqual([nasty]);
  });
});

describe('images: one record per image id, found by any manifest digest', () => {
  const imageId = digest('2');
  const ociManifest = digest('3');
  const otherManifest = digest('4');

  it('merges manifest digests and references across forms; getByDigest and executables take either digest', async () => {
    const writer = new ResultWriter(db.dataSource, null);
    const base = { digest: imageId, size: 1, layers: [], metadata: { executables: ['/bin/sh'] } };
    await writer.artifact({ ...base, references: ['oci:/layout:app'], manifestDigests: [ociManifest] });
    await writer.artifact({ ...base, references: ['docker-archive:/app.tar'] });
    await writer.artifact({ ...base, references: ['registry.example/app:1'], manifestDigests: [otherManifest, ociManifest] });
    const images = new ImageStore(db.dataSource);
    const image = await images.getByDigest(imageId);
    expect(image).toMatchObject({ digest: imageId, manifestDigests: [ociManifest, otherManifest] });
    expect(image?.references).toEqual(['docker-archive:/app.tar', 'oci:/layout:app', 'registry.example/app:1']);
    expect((await images.getByDigest(ociManifest))?.id).toBe(image?.id);
    expect((await images.getByDigest(otherManifest))?.id).toBe(image?.id);
    expect(await images.getByDigest(digest('5'))).toBeNull();
    expect(await images.executables(otherManifest)).toEqual(new Set(['/bin/sh']));
    expect(await images.executables(imageId)).toEqual(new Set(['/bin/sh']));
  });
});

describe('tasks: plugin, labels, parent and the artifact they produced', () => {
  it('stores provenance, links the artifact a task emitted and lists an artifact’s tasks', async () => {
    const tasks = new TaskStore(db.dataSource);
    const parent = await tasks.create({ kind: 'scanner', type: 'scan-image', input: { source: 'oci:/p' } });
    const child = await tasks.create({
      kind: 'scanner',
      type: 'scan-image',
      input: { source: 'oci:/c' },
      pluginId: 'bulkhead.scanner',
      pluginVersion: '0.1.0',
      labels: { pipeline: 'nightly' },
      parentTaskId: parent.id,
    });
    expect(child).toMatchObject({ pluginId: 'bulkhead.scanner', pluginVersion: '0.1.0', labels: { pipeline: 'nightly' }, parentTaskId: parent.id, artifactId: null });
    await new ResultWriter(db.dataSource, child.id).artifact({ digest: digest('6'), references: [], size: 0, layers: [] });
    const artifact = await new ImageStore(db.dataSource).getByDigest(digest('6'));
    expect((await tasks.get(child.id))?.artifactId).toBe(artifact?.id);
    expect((await tasks.list({ artifactId: artifact?.id ?? '' })).edges.map((e) => e.node.id)).toEqual([child.id]);
    expect(await tasks.count({ artifactId: artifact?.id ?? '' })).toBe(1);
    expect((await tasks.list({ parentTaskId: parent.id })).edges.map((e) => e.node.id)).toEqual([child.id]);
    expect(await tasks.count({ labels: { pipeline: 'nightly' } })).toBe(1);
    expect(await tasks.count({ labels: { pipeline: 'weekly' } })).toBe(0);
  });
});

describe('findings: lifecycle', () => {
  const tasks = () => new TaskStore(db.dataSource);
  const finding = (target: string, ruleId: string, kind: FindingResult['kind'] = 'benchmark'): FindingResult => ({ kind, severity: 'HIGH', ruleId, title: ruleId, target });

  /** One successful run of a task that reports `findings`; returns the task id. */
  async function run(input: unknown, findings: FindingResult[], options: { type?: string; kind?: FindingResult['kind']; fail?: boolean } = {}): Promise<string> {
    const store = tasks();
    const task = await store.create({ kind: options.kind ?? 'benchmark', type: options.type ?? 'k8s', input });
    await store.markRunning(task.id);
    await new ResultWriter(db.dataSource, task.id).findings(findings);
    if (options.fail) await store.fail(task.id, 'boom');
    else await store.succeed(task.id, {});
    return task.id;
  }

  async function state(target: string, ruleId: string): Promise<FindingEntity> {
    const page = await new FindingStore(db.dataSource).list({ target });
    const found = page.edges.map((e) => e.node).find((f) => f.ruleId === ruleId);
    if (!found) throw new Error(`no finding ${ruleId} on ${target}`);
    return found;
  }

  const dir = { path: '/manifests', checks: ['pss'] };
  const web = 'Deployment/shop/web';
  const db1 = 'StatefulSet/shop/db';

  it('resolves what the next run of the same producer over the same scope no longer reports, and reopens what comes back', async () => {
    await run(dir, [finding(web, 'runAsNonRoot'), finding(web, 'privileged'), finding(db1, 'runAsNonRoot')]);
    expect(await state(web, 'privileged')).toMatchObject({ status: FindingStatus.OPEN, producer: 'benchmark/k8s', resolvedAt: null, reopenedAt: null });

    // The fix lands: the rerun no longer reports web's privileged container.
    await run(dir, [finding(web, 'runAsNonRoot'), finding(db1, 'runAsNonRoot')]);
    const resolved = await state(web, 'privileged');
    expect(resolved.status).toBe(FindingStatus.RESOLVED);
    expect(resolved.resolvedAt).toBeInstanceOf(Date);
    expect(await state(web, 'runAsNonRoot')).toMatchObject({ status: FindingStatus.OPEN });
    expect(await state(db1, 'runAsNonRoot')).toMatchObject({ status: FindingStatus.OPEN });
    expect((await new FindingStore(db.dataSource).list({ status: [FindingStatus.RESOLVED] })).edges.map((e) => e.node.id)).toEqual([resolved.id]);

    // The regression: it comes back, OPEN again and visibly reopened, same row.
    await run(dir, [finding(web, 'runAsNonRoot'), finding(web, 'privileged'), finding(db1, 'runAsNonRoot')]);
    const reopened = await state(web, 'privileged');
    expect(reopened).toMatchObject({ id: resolved.id, status: FindingStatus.OPEN, resolvedAt: null, firstSeenAt: resolved.firstSeenAt });
    expect(reopened.reopenedAt).toBeInstanceOf(Date);
  });

  it('leaves other scopes, other producers, failed runs and runtime alerts alone', async () => {
    // Another scope (other input) and another producer (other type) reporting nothing.
    await run({ path: '/other' }, []);
    await run(dir, [], { type: 'node' });
    expect(await state(db1, 'runAsNonRoot')).toMatchObject({ status: FindingStatus.OPEN });
    // A failed run of the same producer and scope resolves nothing.
    await run(dir, [], { fail: true });
    expect(await state(db1, 'runAsNonRoot')).toMatchObject({ status: FindingStatus.OPEN });
    // Runtime findings are events: a later run that does not repeat one does not resolve it.
    await run({ events: 'a.jsonl' }, [finding('container/c0ffee', 'Terminal shell', 'runtime')], { kind: 'runtime', type: 'replay' });
    await run({ events: 'a.jsonl' }, [], { kind: 'runtime', type: 'replay' });
    expect(await state('container/c0ffee', 'Terminal shell')).toMatchObject({ status: FindingStatus.OPEN });
  });

  it('keeps a suppressed finding suppressed through reruns, and resolves it only once unsuppressed', async () => {
    const findings = new FindingStore(db.dataSource);
    const target = 'Deployment/shop/cache';
    await run({ path: '/cache' }, [finding(target, 'hostNetwork')]);
    const suppressed = await findings.suppress((await state(target, 'hostNetwork')).id);
    expect(suppressed?.status).toBe(FindingStatus.SUPPRESSED);
    await run({ path: '/cache' }, []); // not reported: stays suppressed, not resolved
    expect(await state(target, 'hostNetwork')).toMatchObject({ status: FindingStatus.SUPPRESSED, resolvedAt: null });
    await run({ path: '/cache' }, [finding(target, 'hostNetwork')]); // reported again: not reopened
    expect(await state(target, 'hostNetwork')).toMatchObject({ status: FindingStatus.SUPPRESSED, reopenedAt: null });
    expect((await findings.unsuppress(suppressed?.id ?? ''))?.status).toBe(FindingStatus.OPEN);
    await run({ path: '/cache' }, []);
    expect(await state(target, 'hostNetwork')).toMatchObject({ status: FindingStatus.RESOLVED });
    expect(await findings.suppress('not-a-uuid')).toBeNull();
    expect(await findings.suppress('00000000-0000-4000-8000-000000000000')).toBeNull();
  });
});

describe('migration of rows written before the data model', () => {
  it('re-keys images stored by manifest digest to their config digest, merging duplicates, and links tasks to them', async () => {
    const url = db.url;
    const schema = `bh_dm_migration_${randomBytes(4).toString('hex')}`;
    const before = new DataSource({ ...dataSourceOptions({ url, schema, poolSize: 2 }), migrations: migrations.slice(0, 2) });
    await before.initialize();
    try {
      await before.query(`CREATE SCHEMA "${schema}"`);
      await before.runMigrations({ transaction: 'each' });
      const config = digest('a');
      const manifest = digest('b');
      const q = (sql: string, params: unknown[] = []) => before.query(sql, params);
      // The OCI layout scan (keyed by manifest digest) and the docker-archive scan (config digest) of one image.
      const [oci] = await q(
        `INSERT INTO artifact (digest, "references", metadata, updated_at) VALUES ($1, '{oci:/l}', $2, now() - interval '1 hour') RETURNING id`,
        [manifest, JSON.stringify({ configDigest: config, manifestDigest: manifest })],
      );
      const [archive] = await q(`INSERT INTO artifact (digest, "references", metadata) VALUES ($1, '{docker-archive:/a.tar}', $2) RETURNING id`, [config, JSON.stringify({ configDigest: config })]);
      await q(`INSERT INTO package (artifact_id, type, name, version, purl) VALUES ($1, 'deb', 'bash', '5', 'pkg:deb/bash@5'), ($2, 'deb', 'bash', '5', 'pkg:deb/bash@5')`, [oci.id, archive.id]);
      // An image only ever scanned as an OCI layout, and a root file system (no config digest).
      const loneManifest = digest('c');
      const loneConfig = digest('d');
      await q(`INSERT INTO artifact (digest, "references", metadata) VALUES ($1, '{oci:/lone}', $2)`, [loneManifest, JSON.stringify({ configDigest: loneConfig })]);
      await q(`INSERT INTO artifact (digest, metadata) VALUES ($1, '{"source":"rootfs"}')`, [digest('e')]);
      const [task] = await q(`INSERT INTO task (kind, type, input, status, result) VALUES ('scanner', 'scan-image', '{}', 'SUCCEEDED', $1) RETURNING id`, [JSON.stringify({ digest: loneManifest })]);
      await q(`INSERT INTO finding (kind, severity, rule_id, title, target, fingerprint, task_id) VALUES ('benchmark', 'LOW', 'r', 't', 'x', 'f', $1)`, [task.id]);

      const after = new DataSource({ ...dataSourceOptions({ url, schema, poolSize: 2 }) });
      await after.initialize();
      try {
        expect((await after.runMigrations({ transaction: 'each' })).map((m) => m.name)).toEqual(migrations.slice(2).map((m) => new m().name));
        const rows: { id: string; digest: string; manifest_digests: string[]; references: string[] }[] = await after.query(
          `SELECT id, digest, manifest_digests, "references" FROM "${schema}".artifact ORDER BY digest`,
        );
        expect(rows.map((r) => [r.digest, r.manifest_digests, r.references])).toEqual([
          [config, [manifest], ['docker-archive:/a.tar', 'oci:/l']],
          [loneConfig, [loneManifest], ['oci:/lone']],
          [digest('e'), [], []],
        ]);
        expect(rows[0]?.id).toBe(archive.id); // the row already keyed by the config digest survives
        const [{ n }] = await after.query(`SELECT count(*)::int AS n FROM "${schema}".package`);
        expect(n).toBe(1);
        const [linked] = await after.query(`SELECT artifact_id, labels, plugin_id FROM "${schema}".task WHERE id = $1`, [task.id]);
        expect(linked).toEqual({ artifact_id: rows[1]?.id, labels: {}, plugin_id: null });
        const [old] = await after.query(`SELECT status, producer, scope FROM "${schema}".finding`);
        expect(old).toMatchObject({ status: 'OPEN', producer: 'scanner/scan-image', scope: expect.stringMatching(/^[a-f0-9]{64}$/) });
        expect(await new ImageStore(after).getByDigest(loneManifest)).toMatchObject({ digest: loneConfig });
        // Rows older than teams are the team `default`: an upgraded installation keeps working as that team.
        for (const table of ['task', 'artifact', 'package', 'finding']) {
          const teams: { team: string }[] = await after.query(`SELECT DISTINCT team FROM "${schema}".${table}`);
          expect({ table, teams: teams.map((t) => t.team) }).toEqual({ table, teams: ['default'] });
        }
        expect(await new ImageStore(after, () => 'other').getByDigest(loneManifest)).toBeNull();
        // Down to (and including) ImageIdentity, whatever migrations came after it.
        const undo = migrations.length - migrations.findIndex((m) => new m().name === 'ImageIdentity1765152000000');
        for (let i = 0; i < undo; i++) await after.undoLastMigration({ transaction: 'each' });
        const [restored] = await after.query(`SELECT digest FROM "${schema}".artifact WHERE "references" = '{oci:/lone}'`);
        expect(restored.digest).toBe(loneManifest);
      } finally {
        await after.destroy();
      }
    } finally {
      await before.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await before.destroy();
    }
  });
});
