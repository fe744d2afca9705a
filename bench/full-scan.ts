// Full scan benchmark: `npm run bench -- full-scan [runs]`.
//
// The whole `bulkhead scan` of the Debian bookworm minbase test image (tools/scripts/make-minbase-image.sh):
// the scan-image task as the CLI runs it — inventory (every analyzer), vulnerability matching
// against an embedded advisory database holding all of ../shared/vulndata, the secret scan of
// every layer — and the JSON and table reports, against the floor measured in the same run:
// `gzip -dc <layer> | tar -t`, which only decompresses and lists the layer.
// Each scan runs in a fresh child process so its peak RSS (VmHWM from /proc/self/status, read by
// the child when the report is written) is the scan's own; time excludes Node start-up.
// For reference, Trivy on the same docker-archive (`--scanners secret`: no vulnerability DB can
// be downloaded here, so Trivy's vulnerability scan cannot run; inventory + secrets only).
// Targets (issue 9): full scan median <= 1.5x the gzip floor, peak RSS <= 250 MB.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildScanReport, formatScanTable, scannerPlugin, type ScanImageSummary } from '@bulkhead/plugin-scanner';
import { runPluginTask } from '@bulkhead/plugin-sdk/testing';
import { sharedPath, testImages } from '@bulkhead/testing';
import { createEmbeddedAdvisoryStore, planAdvisoryImport } from '@bulkhead/vulndb';
import { median, printTable } from './lib/measure';
import { ociLayerBlob, peakRss, runChildJson, timeShell } from './lib/scan-bench';

const repoRoot = path.resolve(__dirname, '../..');
process.env['BULKHEAD_TEST_IMAGES'] ??= path.join(repoRoot, 'tmp', 'test-images');

interface ChildResult {
  scanMs: number;
  packages: number;
  vulnerabilities: number;
  secrets: number;
  vulnerabilityScan: string;
  peakRssBytes: number;
}


async function child(reference: string, cacheDir: string): Promise<void> {
  const start = performance.now();
  const run = await runPluginTask<ScanImageSummary>(scannerPlugin, 'scan-image', { source: reference, cacheDir });
  const artifact = run.artifacts.find((a) => a.digest === run.output.digest);
  if (!artifact) throw new Error('no artifact');
  const packages = run.packages.find((p) => p.artifactDigest === run.output.digest)?.packages ?? [];
  const report = buildScanReport({ artifact, packages, findings: run.findings, vulnerabilityScan: run.output.vulnerabilityScan, secretScan: run.output.secretScan });
  const json = JSON.stringify(report, null, 2);
  const table = formatScanTable(report);
  const scanMs = performance.now() - start;
  if (json.length === 0 || table.length === 0) throw new Error('empty report');
  const out: ChildResult = {
    scanMs,
    packages: packages.length,
    vulnerabilities: Object.values(report.summary.vulnerabilities).reduce((a, b) => a + b, 0),
    secrets: Object.values(report.summary.secrets).reduce((a, b) => a + b, 0),
    vulnerabilityScan: report.vulnerabilityScan.status,
    peakRssBytes: peakRss(),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(reference: string, cacheDir: string): ChildResult {
  return runChildJson<ChildResult>(__filename, [reference, cacheDir], `scan of ${reference}`);
}



/** Imports every advisory source of ../shared/vulndata into a fresh embedded store (as `bulkhead db import` does). */
async function prepareAdvisories(cacheDir: string): Promise<number> {
  const vulndata = sharedPath('vulndata');
  if (!vulndata || !existsSync(vulndata)) throw new Error('full-scan needs ../shared/vulndata (BULKHEAD_SHARED_DIR) for its advisories');
  const tracker = path.join(vulndata, 'debian-security-tracker', 'data');
  const secdb = path.join(vulndata, 'alpine-secdb');
  const inputs = [
    path.join(tracker, 'CVE', 'list.subset'),
    path.join(tracker, 'DSA', 'list.subset'),
    ...readdirSync(secdb)
      .filter((d) => d.startsWith('v'))
      .flatMap((d) => ['main.json', 'community.json'].map((f) => path.join(secdb, d, f)))
      .filter((f) => existsSync(f)),
    path.join(vulndata, 'ghsa-npm', 'osv'),
    path.join(vulndata, 'pypa-advisory-database', 'vulns'),
  ];
  const store = createEmbeddedAdvisoryStore(cacheDir);
  try {
    for (const group of await planAdvisoryImport(inputs)) await store.import(group.source, group.read());
    return (await store.status()).advisories;
  } finally {
    await store.close();
  }
}

/** Trivy's time for the same image (inventory + secrets; its vulnerability DB cannot be fetched here). */
function trivyMs(archive: string): number | string {
  const script = path.join(sharedPath('tools') ?? '', 'trivy-peer.sh');
  if (!existsSync(script)) return 'absent';
  try {
    execFileSync('bash', [script], { stdio: ['ignore', 'ignore', 'ignore'] }); // install once, not timed
  } catch {
    return 'unavailable';
  }
  const cache = mkdtempSync(path.join(tmpdir(), 'bh-trivy-cache-'));
  try {
    const start = performance.now();
    const run = spawnSync('bash', [script, 'image', '--input', archive, '--cache-dir', cache, '--offline-scan', '--skip-db-update', '--scanners', 'secret', '--format', 'json', '-q', '-o', path.join(cache, 'out.json')], { stdio: 'ignore' });
    const elapsed = performance.now() - start;
    return run.status === 0 ? elapsed : `failed (exit ${run.status})`;
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function ms(value: number): string {
  return `${value.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3] ?? '', process.argv[4] ?? '');
  const runs = Number(process.argv[2] ?? 5);
  const images = testImages();
  const blob = ociLayerBlob(images.minbaseOciLayout, images.minbaseManifestDigest);
  if (!existsSync(blob)) throw new Error(`layer blob ${blob} is missing`);
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'bh-full-scan-'));
  try {
    const advisories = await prepareAdvisories(cacheDir);
    const reference = `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`;
    // warm the page cache once so the first measured run does not pay for disk reads
    runChild(reference, cacheDir);
    timeShell('gzip -dc "$1" | tar -t >/dev/null', blob);
    const floor: number[] = [];
    const scans: ChildResult[] = [];
    for (let run = 0; run < runs; run++) {
      floor.push(timeShell('gzip -dc "$1" | tar -t >/dev/null', blob));
      scans.push(runChild(reference, cacheDir));
    }
    const trivy = trivyMs(images.minbaseDockerArchive);
    const gzipFloor = median(floor);
    const scan = median(scans.map((s) => s.scanMs));
    const rss = Math.max(...scans.map((s) => s.peakRssBytes));
    const last = scans.at(-1) as ChildResult;
    console.log(`full-scan: minbase bookworm (oci layout), ${runs} runs, medians; ${advisories} advisories in the embedded store (../shared/vulndata)\n`);
    printTable(
      ['measurement', 'time', 'ratio to gzip floor', 'peak RSS', 'packages', 'vulnerabilities', 'secrets'],
      [
        ['floor: gzip -dc | tar -t', ms(gzipFloor), '1.00x', '', '', '', ''],
        ['full scan + JSON/table report', ms(scan), `${(scan / gzipFloor).toFixed(2)}x`, mb(rss), String(last.packages), `${last.vulnerabilities} (${last.vulnerabilityScan})`, String(last.secrets)],
        [
          'reference: trivy --scanners secret (docker-archive, one run, incl. start-up)',
          typeof trivy === 'number' ? ms(trivy) : trivy,
          typeof trivy === 'number' ? `${(trivy / gzipFloor).toFixed(2)}x` : '',
          '',
          '',
          '',
          '',
        ],
      ],
    );
    const ratio = scan / gzipFloor;
    console.log(`\ntargets: <= 1.50x gzip floor (${ratio.toFixed(2)}x: ${ratio <= 1.5 ? 'met' : 'MISSED'}), <= 250 MB peak RSS (${mb(rss)}: ${rss <= 250e6 ? 'met' : 'MISSED'})`);
    if (last.vulnerabilityScan !== 'checked') console.log(`WARNING: vulnerabilities were not checked (${last.vulnerabilityScan})`);
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
