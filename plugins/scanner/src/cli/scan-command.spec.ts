import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BulkheadPlugin } from '@bulkhead/plugin-sdk';
import { CliError, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { runPluginTask } from '@bulkhead/plugin-sdk/testing';
import { testImageBuilder } from '@bulkhead/oci/testing';
import { describeWithShared, testImages, type TestImages } from '@bulkhead/testing';
import { createEmbeddedAdvisoryStore, readOsv } from '@bulkhead/vulndb';
import { formatCycloneDx } from '../report/cyclonedx';
import { fixtureReport } from '../report/testing/report-fixture';
import { scannerPlugin } from '../plugin';
import { parseScanOptions, scan, writeAtomically, type ScanCommandOptions } from './scan-command';

let work: string;
let images: TestImages;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'bh-scan-cmd-'));
  images = await testImages();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A CLI host that runs the scanner inline with the platform's runner and captures output. */
function fakeHost(plugin: BulkheadPlugin = scannerPlugin): CliHost & { stdout: string[]; stderr: string[]; inputs: unknown[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const inputs: unknown[] = [];
  return {
    stdout,
    stderr,
    inputs,
    out: (text) => void stdout.push(text),
    err: (text) => void stderr.push(text),
    runTask: async (_kind, type, input) => {
      inputs.push(input);
      const run = await runPluginTask(plugin, type, input);
      return { output: run.output, artifacts: run.artifacts, packages: run.packages, findings: run.findings };
    },
    progressPrinter: () => () => undefined,
    interruptible: (work) => work(new AbortController().signal),
    server: () => {
      throw new Error('no server in this test');
    },
    exit: () => undefined,
  };
}

const base = (overrides: Partial<ScanCommandOptions> = {}): ScanCommandOptions => ({ format: 'json', plugins: [], cacheDir: path.join(work, 'no-cache'), cwd: work, ...overrides });

describe('scan options', () => {
  it('parses severities, scanners and the exit code, refusing bad values as usage errors', () => {
    expect(parseScanOptions(base({ severity: 'high,Critical', scanners: 'vuln', exitCode: '4' }))).toEqual({ format: 'json', severities: ['HIGH', 'CRITICAL'], exitCode: 4, scanners: ['vuln'] });
    expect(parseScanOptions(base())).toEqual({ format: 'json', exitCode: 0, scanners: ['vuln', 'secret'] });
    for (const [bad, message] of [
      [{ format: 'xml' }, /unknown --format "xml"/],
      [{ severity: 'HIGH,SEVERE' }, /unknown --severity SEVERE/],
      [{ severity: ',' }, /--severity needs at least one/],
      [{ exitCode: '-1' }, /--exit-code "-1": expected a number from 0 to 255/],
      [{ exitCode: '256' }, /expected a number from 0 to 255/],
      [{ scanners: 'vuln,license' }, /--scanners "vuln,license": use one or more of vuln, secret/],
    ] as const) {
      let error: unknown;
      try {
        parseScanOptions(base(bad as Partial<ScanCommandOptions>));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(2);
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('writeAtomically', () => {
  it('writes a private file in one rename, replacing an older report, leaving no temp file', async () => {
    const file = path.join(work, 'out', 'report.json');
    rmSync(path.dirname(file), { recursive: true, force: true });
    await expect(writeAtomically(file, '{}')).rejects.toThrow(/cannot write --output .*report\.json/);
    mkdirSync(path.dirname(file));
    writeFileSync(file, 'old', { mode: 0o644 });
    await writeAtomically(file, '{"new":true}');
    expect(readFileSync(file, 'utf8')).toBe('{"new":true}\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(file))).toEqual(['report.json']);
  });
});

describe('bulkhead scan (inline)', () => {
  it('without advisory data: says so in every format, and fails an --exit-code gate', async () => {
    const source = `oci:${images.tinyOciLayout}`;
    const database = path.join(work, 'no-cache', 'vulndb', 'advisories.sqlite');

    const json = fakeHost();
    expect(await scan(source, base(), json)).toBe(0);
    const report = JSON.parse(json.stdout.join('')) as { vulnerabilityScan: unknown; findings: unknown[]; packages: unknown[] };
    expect(report.vulnerabilityScan).toEqual({ status: 'no-advisory-data', database, message: `no advisory database at ${database} — run \`bulkhead db import\` or \`bulkhead db update\`` });
    expect(report.findings).toEqual([]);
    expect(report.packages.length).toBeGreaterThan(0);
    expect(json.stderr.join('\n')).toContain(`warning: vulnerabilities not checked: no advisory database at ${database}`);
    // the task got the CLI's cache dir and scanners
    expect(json.inputs).toEqual([{ source, scanners: ['vuln', 'secret'], cacheDir: path.join(work, 'no-cache') }]);

    const table = fakeHost();
    expect(await scan(source, base({ format: 'table', exitCode: '5' }), table)).toBe(5);
    expect(table.stdout.join('')).toContain(`Vulnerabilities: not checked: no advisory database at ${database} — run \`bulkhead db import\` or \`bulkhead db update\``);

    for (const format of ['sarif', 'cyclonedx', 'spdx']) {
      const host = fakeHost();
      await scan(source, base({ format }), host);
      expect(host.stdout.join('')).toContain('no advisory database at');
    }

    // Only secrets asked for: the missing database is not a failure of the gate.
    const secretsOnly = fakeHost();
    expect(await scan(source, base({ scanners: 'secret', exitCode: '5' }), secretsOnly)).toBe(0);
    expect((JSON.parse(secretsOnly.stdout.join('')) as { vulnerabilityScan: unknown }).vulnerabilityScan).toEqual({ status: 'not-requested' });
  }, 60_000);

  it('writes --output atomically and prints nothing on stdout', async () => {
    const host = fakeHost();
    const file = path.join(work, 'scan.sarif');
    await scan(`oci:${images.tinyOciLayout}`, base({ format: 'sarif', output: file }), host);
    expect(host.stdout).toEqual([]);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version).toBe('2.1.0');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('reads a bad --vex or --ignorefile before scanning, as a clear error', async () => {
    const host = fakeHost();
    writeFileSync(path.join(work, 'bad-vex.json'), '{"statements": []}');
    await expect(scan(`oci:${images.tinyOciLayout}`, base({ vex: [path.join(work, 'bad-vex.json')] }), host)).rejects.toThrow(/bad-vex\.json: neither OpenVEX/);
    await expect(scan(`oci:${images.tinyOciLayout}`, base({ ignorefile: path.join(work, 'missing-ignore') }), host)).rejects.toThrow(/ignore file .*missing-ignore: no such file/);
    expect(host.inputs).toEqual([]);
  });

  it('reads the default .bulkheadignore of the working directory', async () => {
    const cwd = path.join(work, 'with-ignore');
    mkdirSync(cwd, { recursive: true });
    writeFileSync(path.join(cwd, '.bulkheadignore'), 'CVE-2020-8203 exp:2000-01-01\n');
    const host = fakeHost();
    await scan(`oci:${images.tinyOciLayout}`, base({ cwd }), host);
    expect(host.stderr.join('\n')).toContain('ignore rules past their expiry, no longer applied: CVE-2020-8203 (.bulkheadignore:1, exp:2000-01-01)');
  }, 60_000);

  it('scans an sbom: target', async () => {
    const bom = path.join(work, 'bom.cdx.json');
    writeFileSync(bom, formatCycloneDx(fixtureReport(), { version: '1' }));
    const host = fakeHost();
    await scan(`sbom:${bom}`, base(), host);
    const report = JSON.parse(host.stdout.join('')) as { artifact: { references: string[]; os: unknown }; packages: { name: string }[] };
    expect(report.artifact.references).toEqual([`sbom:${bom}`]);
    expect(report.artifact.os).toEqual({ family: 'debian', version: '12' });
    expect(report.packages.map((p) => p.name).sort()).toEqual(['bash', 'libssl3', 'lodash']);
  });
});

describeWithShared('bulkhead scan with advisories (real store and matcher)', (shared) => {
  it('filters by severity, suppresses through VEX with the statement shown, and gates with --exit-code', async () => {
    const cacheDir = path.join(work, 'cache-ghsa');
    const store = createEmbeddedAdvisoryStore(cacheDir);
    try {
      await store.import('ghsa-npm', readOsv(path.join(shared, 'vulndata', 'ghsa-npm', 'osv')));
    } finally {
      await store.close();
    }
    const archive = path.join(work, 'lodash.tar');
    const lock = { name: 'app', version: '1.0.0', lockfileVersion: 3, packages: { '': { name: 'app', version: '1.0.0' }, 'node_modules/lodash': { version: '4.17.15' } } };
    await testImageBuilder.writeDockerArchive(archive, [{ entries: [{ name: 'app/package-lock.json', content: JSON.stringify(lock) }] }]);
    const vex = path.join(work, 'app.openvex.json');
    writeFileSync(
      vex,
      JSON.stringify({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [{ vulnerability: { name: 'GHSA-35jh-r3h4-6jhm' }, products: [{ '@id': 'pkg:npm/lodash@4.17.15' }], status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', impact_statement: 'template() is never called' }],
      }),
    );

    const host = fakeHost();
    const code = await scan(`docker-archive:${archive}`, base({ cacheDir, severity: 'HIGH,CRITICAL', vex: [vex], showSuppressed: true, exitCode: '1' }), host);
    const report = JSON.parse(host.stdout.join('')) as { findings: { id: string; severity: string }[]; suppressed: { id: string; suppression: { statement?: string } }[]; summary: { filtered: number; suppressed: number } };
    // lodash 4.17.15: CVE-2020-8203 (HIGH), CVE-2021-23337 (HIGH, suppressed by VEX), CVE-2020-28500 (MEDIUM, filtered)
    expect(report.findings.map((f) => [f.id, f.severity])).toEqual([['CVE-2020-8203', 'HIGH']]);
    expect(report.suppressed.map((f) => [f.id, f.suppression.statement])).toEqual([['CVE-2021-23337', 'template() is never called']]);
    expect(report.summary).toMatchObject({ filtered: 1, suppressed: 1 });
    expect(code).toBe(1);

    const table = fakeHost();
    await scan(`docker-archive:${archive}`, base({ cacheDir, format: 'table', vex: [vex], showSuppressed: true }), table);
    expect(table.stdout.join('')).toMatch(/lodash +CVE-2021-23337 +HIGH +VEX not_affected: vulnerable_code_not_in_execute_path: template\(\) is never called/);

    // The image's CycloneDX SBOM, scanned as sbom:<file>, gives the same vulnerabilities.
    const bom = path.join(work, 'lodash.cdx.json');
    await scan(`docker-archive:${archive}`, base({ cacheDir, format: 'cyclonedx', output: bom }), fakeHost());
    const fromImage = fakeHost();
    const fromSbom = fakeHost();
    await scan(`docker-archive:${archive}`, base({ cacheDir }), fromImage);
    await scan(`sbom:${bom}`, base({ cacheDir }), fromSbom);
    const ids = (h: ReturnType<typeof fakeHost>): string[] => (JSON.parse(h.stdout.join('')) as { findings: { kind: string; id: string }[] }).findings.filter((f) => f.kind === 'vulnerability').map((f) => f.id).sort();
    expect(ids(fromSbom)).toEqual(ids(fromImage));
    expect(ids(fromSbom)).toEqual(['CVE-2020-28500', 'CVE-2020-8203', 'CVE-2021-23337']);
  }, 60_000);
});
