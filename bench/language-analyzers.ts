// Language analyzers' cost on an inventory scan: `npm run bench -- language-analyzers [runs]`.
//
// Scans the Debian bookworm minbase test image (docker-archive form, so decompression does not
// hide the difference) with the OS analyzers only (os-release, dpkg, apk: the baseline) and with
// every built-in analyzer (the language analyzers add Go/Rust binaries in bin directories, jars,
// pom.xml, lockfiles), alternating, each scan in a fresh child process so its peak RSS is its own.
// What the language analyzers add: the bodies of the files they want (mostly the programs in
// /usr/bin and /bin: the binary analyzers must look inside them) and the section-header reads.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { apkAnalyzer, builtinAnalyzers, dpkgAnalyzer, osReleaseAnalyzer, scanArtifact } from '@bulkhead/plugin-scanner';
import { testImages } from '@bulkhead/testing';
import { median, printTable } from './lib/measure';
import { peakRss, runChildJson } from './lib/scan-bench';

const repoRoot = path.resolve(__dirname, '../..');
process.env['BULKHEAD_TEST_IMAGES'] ??= path.join(repoRoot, 'tmp', 'test-images');

interface ChildResult {
  scanMs: number;
  packages: number;
  peakRssBytes: number;
}


async function child(set: string, reference: string): Promise<void> {
  const analyzers = set === 'baseline' ? [osReleaseAnalyzer, dpkgAnalyzer, apkAnalyzer] : builtinAnalyzers;
  const start = performance.now();
  const result = await scanArtifact(reference, { analyzers });
  const scanMs = performance.now() - start;
  const out: ChildResult = { scanMs, packages: result.packages.length, peakRssBytes: peakRss() };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(set: string, reference: string): ChildResult {
  return runChildJson<ChildResult>(__filename, [set, reference], `scan of ${reference}`);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3] ?? '', process.argv[4] ?? '');
  const runs = Number(process.argv[2] ?? 5);
  const reference = `docker-archive:${testImages().minbaseDockerArchive}`;
  runChild('baseline', reference); // warm the page cache
  const sets = ['baseline', 'all'] as const;
  const measured = new Map(sets.map((s) => [s, [] as ChildResult[]]));
  for (let run = 0; run < runs; run++) for (const set of sets) measured.get(set)?.push(runChild(set, reference));
  const base = median((measured.get('baseline') ?? []).map((r) => r.scanMs));
  console.log(`language-analyzers: minbase bookworm docker-archive, ${runs} runs each, medians\n`);
  printTable(
    ['analyzers', 'time', 'ratio to baseline', 'peak RSS', 'packages'],
    sets.map((set) => {
      const results = measured.get(set) ?? [];
      const scan = median(results.map((r) => r.scanMs));
      return [set === 'baseline' ? 'baseline: os-release, dpkg, apk' : `all built-in (${builtinAnalyzers.length})`, `${scan.toFixed(0)} ms`, `${(scan / base).toFixed(2)}x`, `${(Math.max(...results.map((r) => r.peakRssBytes)) / 1e6).toFixed(1)} MB`, String(results[0]?.packages ?? 0)];
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
