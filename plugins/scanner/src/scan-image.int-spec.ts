import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { FindingReport, FindingResult, TaskContext, TaskPlatform } from '@bulkhead/plugin-sdk';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import { testImages, type TestImages } from '@bulkhead/testing';
import { ADVISORY_STORE_MIGRATIONS, PostgresAdvisoryStore, type Advisory } from '@bulkhead/vulndb';
import { scanImageTask } from './plugin';

/*
 * scan-image on the platform: with `ctx.platform` set (a worker) it matches against the advisory
 * tables in the platform's Postgres (PostgresAdvisoryStore over the plugin database), with the
 * real matcher, and reports the image's vulnerabilities as a complete FindingReport. A schema of
 * this suite's own in the Postgres at DATABASE_URL, dropped afterwards.
 */

const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `bh_scan_image_${randomBytes(4).toString('hex')}`;
let dataSource: DataSource;
let database: PluginDatabase;
let images: TestImages;

beforeAll(async () => {
  images = await testImages();
  // A PluginDatabase made as the host makes its own (TypeORM query / transaction, search_path = the schema).
  dataSource = new DataSource({ type: 'postgres', url, schema, poolSize: 4, extra: { options: `-c search_path=${schema}` } });
  await dataSource.initialize();
  await dataSource.query(`CREATE SCHEMA "${schema}"`);
  database = {
    query: (sql, parameters = []) => dataSource.query(sql, [...parameters]),
    transaction: (work) => dataSource.transaction((manager) => work({ query: (sql, parameters = []) => manager.query(sql, [...parameters]) })),
  };
  for (const migration of ADVISORY_STORE_MIGRATIONS) await migration.up(database);
});

afterAll(async () => {
  if (!dataSource?.isInitialized) return;
  try {
    await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await dataSource.destroy();
  }
});

function context(): { ctx: TaskContext; reports: { findings: readonly FindingResult[]; report?: FindingReport }[] } {
  const reports: { findings: readonly FindingResult[]; report?: FindingReport }[] = [];
  const platform: TaskPlatform = { team: 'default', database, submitTask: async () => ({ id: 'child' }) } as unknown as TaskPlatform;
  const ctx: TaskContext = {
    taskId: 't',
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => ctx.logger },
    signal: new AbortController().signal,
    workDir: '/tmp',
    emit: { artifact: async () => undefined, packages: async () => undefined, findings: async (findings, report) => void reports.push({ findings, ...(report ? { report } : {}) }) },
    progress: () => undefined,
    extensions: (() => []) as TaskContext['extensions'],
    platform,
  };
  return { ctx, reports };
}

async function* one(advisory: Advisory): AsyncIterable<Advisory> {
  yield advisory;
}

describe('scan-image on a worker (Postgres advisory store)', () => {
  it('says plainly that there is no advisory data while the tables are empty, and reports nothing as resolved', async () => {
    const { ctx, reports } = context();
    const summary = await scanImageTask.run(scanImageTask.input.parse({ source: `oci:${images.tinyOciLayout}`, scanners: ['vuln'] }), ctx);
    expect(summary.vulnerabilityScan).toEqual({ status: 'no-advisory-data', database: 'postgres', message: 'no advisories in the platform database — import them with the importAdvisories or updateAdvisories mutation (operator / admin)' });
    expect(reports).toEqual([]);
  });

  it('matches the image against the imported advisories with the real matcher', async () => {
    const store = new PostgresAdvisoryStore(database);
    await store.import(
      'test-osv',
      one({
        id: 'DEBIAN-CVE-2023-5678',
        source: 'test-osv',
        aliases: ['CVE-2023-5678'],
        summary: 'openssl: excessive time spent in DH check',
        cvss: [],
        references: [],
        affected: [{ ecosystem: 'Debian:12', name: 'openssl', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.13-1~deb12u1' }] }], versions: [], severity: 'MEDIUM' }],
      }),
    );
    const { ctx, reports } = context();
    const summary = await scanImageTask.run(scanImageTask.input.parse({ source: `oci:${images.tinyOciLayout}`, scanners: ['vuln'] }), ctx);
    expect(summary.vulnerabilityScan).toMatchObject({ status: 'checked', database: 'postgres', advisories: 1 });
    expect(reports).toHaveLength(1);
    expect(reports[0]?.report).toEqual({ producer: 'scanner/vulnerability', scope: summary.digest });
    expect(reports[0]?.findings.map((f) => [f.ruleId, (f.data as { package: { name: string } }).package.name, (f.data as { fixedVersion?: string }).fixedVersion, f.severity]).sort()).toEqual([
      ['CVE-2023-5678', 'libssl3', '3.0.13-1~deb12u1', 'MEDIUM'],
      ['CVE-2023-5678', 'openssl', '3.0.13-1~deb12u1', 'MEDIUM'],
    ]);
  });
});
