// Advisory import benchmark: `npm run bench -- vulndb-import [records] [runs]`.
//
// Reading osv.dev-style inputs through the OSV readers (libs/vulndb/src/import): an `all.zip`
// of one JSON file per record (written with the `zip` tool, deflate, as osv.dev publishes) and
// the same records as JSON lines. Records are generated from the real ones in ../shared/vulndata
// (GHSA npm, PyPA PyPI with their `versions` lists and GIT ranges, converted Debian records),
// cloned under new ids and package names, so sizes and shapes are real.
//
// Measured (each run in a fresh child process, so its peak RSS (VmHWM) is its own): the reader
// yielding every normalised Advisory (strict UTF-8, nesting bound, schema validation, ecosystem
// and name normalisation, CVSS scoring). Baseline, same run, same input: the floor of touching
// the data: yauzl inflating every entry + JSON.parse (zip), or a line split + JSON.parse
// (JSON lines), without validation. Peak RSS shows the readers stream (flat in the record count).
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import yauzl from 'yauzl';
import { readOsvJsonLines, readOsvZip } from '@bulkhead/vulndb';
import { sharedPath } from '@bulkhead/testing';
import { median, printTable } from './lib/measure';

interface ChildResult {
  ms: number;
  records: number;
  peakRssBytes: number;
}

function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : process.memoryUsage().rss;
}

async function child(mode: string, file: string): Promise<void> {
  const start = performance.now();
  let records = 0;
  switch (mode) {
    case 'zip':
      for await (const item of readOsvZip(file)) if ('id' in item) records++;
      break;
    case 'jsonl':
      for await (const item of readOsvJsonLines(file)) if ('id' in item) records++;
      break;
    case 'zip-baseline': {
      const zip = await yauzl.openPromise(file, { lazyEntries: true });
      for await (const entry of zip.eachEntry()) {
        const chunks: Buffer[] = [];
        for await (const chunk of await zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
        if ((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: string }).id) records++;
      }
      zip.close();
      break;
    }
    case 'jsonl-baseline':
      for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
        if (line && (JSON.parse(line) as { id?: string }).id) records++;
      }
      break;
    default:
      throw new Error(`unknown mode ${mode}`);
  }
  const out: ChildResult = { ms: performance.now() - start, records, peakRssBytes: peakRss() };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(mode: string, file: string): ChildResult {
  const run = spawnSync(process.execPath, [__filename, '--child', mode, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`${mode} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as ChildResult;
}

/** The real records whose shapes are cloned. */
function templates(): Record<string, unknown>[] {
  const data = sharedPath('vulndata');
  if (!data) throw new Error('this benchmark needs ../shared/vulndata (BULKHEAD_SHARED_DIR)');
  const records: Record<string, unknown>[] = [];
  for (const line of readFileSync(path.join(data, 'ghsa-npm', 'npm-subset.osv.jsonl'), 'utf8').split('\n')) if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
  for (const line of readFileSync(path.join(data, 'pypa-advisory-database', 'pypi-subset.osv.jsonl'), 'utf8').split('\n')) if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
  const debian = path.join(data, 'debian-security-tracker', 'osv');
  for (const name of readdirSync(debian)) records.push(JSON.parse(readFileSync(path.join(debian, name), 'utf8')) as Record<string, unknown>);
  return records;
}

/** Record `i`: template i mod n, under a new id and package name (deterministic). */
function generated(template: Record<string, unknown>, i: number): Record<string, unknown> {
  const affected = (template['affected'] as { package: { name: string } }[]).map((a) => ({ ...a, package: { ...a.package, name: `${a.package.name}-${i % 5000}` } }));
  return { ...template, id: `BENCH-${String(i).padStart(7, '0')}`, affected };
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3] ?? '', process.argv[4] ?? '');
  const count = Number(process.argv[2] ?? 50_000);
  const runs = Number(process.argv[3] ?? 3);
  const work = mkdtempSync(path.join(tmpdir(), 'bh-bench-import-'));
  try {
    const shapes = templates();
    const recordsDir = path.join(work, 'records');
    mkdirSync(recordsDir);
    const jsonl = path.join(work, 'all.jsonl');
    const lines = createWriteStream(jsonl);
    for (let i = 0; i < count; i++) {
      const record = generated(shapes[i % shapes.length] ?? {}, i);
      const text = JSON.stringify(record);
      writeFileSync(path.join(recordsDir, `${String(record['id'])}.json`), text);
      lines.write(`${text}\n`);
    }
    await new Promise<void>((resolve, reject) => lines.end((error?: Error | null) => (error ? reject(error) : resolve())));
    const zip = path.join(work, 'all.zip');
    // osv.dev's all.zip: flat, one <ID>.json per record, deflated.
    execFileSync('zip', ['-q', '-r', '-D', zip, '.'], { cwd: recordsDir });
    rmSync(recordsDir, { recursive: true, force: true });
    console.log(`${count} records from ${shapes.length} real shapes: all.zip ${mb(statSync(zip).size)}, all.jsonl ${mb(statSync(jsonl).size)}; ${runs} runs each, medians`);
    const rows: string[][] = [];
    for (const [name, file, mode] of [
      ['OSV all.zip', zip, 'zip'],
      ['OSV JSON lines', jsonl, 'jsonl'],
    ] as const) {
      const measured: ChildResult[] = [];
      const baseline: ChildResult[] = [];
      for (let run = 0; run < runs; run++) {
        baseline.push(runChild(`${mode}-baseline`, file));
        measured.push(runChild(mode, file));
      }
      const m = median(measured.map((r) => r.ms));
      const b = median(baseline.map((r) => r.ms));
      const records = measured[0]?.records ?? 0;
      if (records !== count) throw new Error(`${name}: ${records} of ${count} records read`);
      rows.push([
        name,
        String(records),
        `${b.toFixed(0)} ms`,
        `${m.toFixed(0)} ms`,
        `${(m / b).toFixed(2)}x`,
        `${Math.round((records / m) * 1000)}/s`,
        mb(Math.max(...baseline.map((r) => r.peakRssBytes))),
        mb(Math.max(...measured.map((r) => r.peakRssBytes))),
      ]);
    }
    printTable(['input', 'records', 'baseline (inflate/split + JSON.parse)', 'reader (validated Advisories)', 'ratio', 'throughput', 'baseline peak RSS', 'reader peak RSS'], rows);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
