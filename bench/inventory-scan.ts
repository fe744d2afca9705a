// Inventory scan benchmark: `npm run bench -- inventory-scan [runs]`.
//
// Scans the Debian bookworm minbase test image (tools/scripts/make-minbase-image.sh) in its two forms,
// OCI layout (one gzip layer, 51 MB) and docker-archive (the same layer uncompressed, 121 MB),
// with the built-in analyzers, and compares against the floor measured in the same run:
// `gzip -dc <layer> | tar -t`, a shell pipeline that only decompresses and lists the layer. For
// the docker-archive the like-for-like floor `tar -xOf <archive> <layer> | tar -t` is shown too.
// Each scan runs in a fresh child process so its peak RSS (VmHWM from /proc/self/status, read by
// the child when the scan is done) is the scan's own; scan time excludes Node start-up.
// Targets: scan median <= 1.5x the gzip floor, peak RSS <= 250 MB.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { builtinAnalyzers, scanArtifact } from '@bulkhead/plugin-scanner';
import { testImages } from '@bulkhead/testing';
import { median, printTable } from './lib/measure';
import { ociLayerBlob, peakRss, runChildJson, timeShell } from './lib/scan-bench';

const repoRoot = path.resolve(__dirname, '../..');
process.env['BULKHEAD_TEST_IMAGES'] ??= path.join(repoRoot, 'tmp', 'test-images');

interface ChildResult {
  scanMs: number;
  packages: number;
  peakRssBytes: number;
}


async function child(reference: string): Promise<void> {
  const start = performance.now();
  const result = await scanArtifact(reference, { analyzers: builtinAnalyzers });
  const scanMs = performance.now() - start;
  const out: ChildResult = { scanMs, packages: result.packages.length, peakRssBytes: peakRss() };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(reference: string): ChildResult {
  return runChildJson<ChildResult>(__filename, [reference], `scan of ${reference}`);
}



function dockerArchiveLayer(archive: string): string {
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' })) as { Layers: string[] }[];
  const listing = execFileSync('tar', ['-tvf', archive], { encoding: 'utf8' });
  const layer = manifest[0]?.Layers[0] ?? '';
  // legacy archives name the layer `<id>/layer.tar`, a symlink to `<diff_id>.tar`
  const link = listing.split('\n').find((line) => line.includes(`${layer} -> `));
  const target = link?.split(' -> ')[1];
  return target ? path.posix.join(path.posix.dirname(layer), target) : layer;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function ms(value: number): string {
  return `${value.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3] ?? '');
  const runs = Number(process.argv[2] ?? 5);
  const images = testImages();
  const blob = ociLayerBlob(images.minbaseOciLayout, images.minbaseManifestDigest);
  const archiveLayer = dockerArchiveLayer(images.minbaseDockerArchive);
  if (!existsSync(blob)) throw new Error(`layer blob ${blob} is missing`);
  const forms = [
    { name: 'oci layout (gzip layer)', reference: `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`, likeForLike: undefined as (() => number) | undefined },
    {
      name: 'docker-archive (tar layer)',
      reference: `docker-archive:${images.minbaseDockerArchive}`,
      likeForLike: () => timeShell('tar -xOf "$1" "$2" | tar -t >/dev/null', images.minbaseDockerArchive, archiveLayer),
    },
  ];

  const gzipFloor: number[] = [];
  const results = forms.map((form) => ({ form, scan: [] as number[], rss: [] as number[], packages: 0, likeForLike: [] as number[] }));
  // warm the page cache once so the first measured run does not pay for disk reads
  for (const form of forms) runChild(form.reference);
  timeShell('gzip -dc "$1" | tar -t >/dev/null', blob);
  for (let run = 0; run < runs; run++) {
    gzipFloor.push(timeShell('gzip -dc "$1" | tar -t >/dev/null', blob));
    for (const r of results) {
      const measured = runChild(r.form.reference);
      r.scan.push(measured.scanMs);
      r.rss.push(measured.peakRssBytes);
      r.packages = measured.packages;
      if (r.form.likeForLike) r.likeForLike.push(r.form.likeForLike());
    }
  }

  const floor = median(gzipFloor);
  console.log(`inventory-scan: minbase bookworm, ${runs} runs each, medians (floor = gzip -dc <layer> | tar -t)\n`);
  printTable(
    ['measurement', 'time', 'ratio to gzip floor', 'like-for-like floor', 'ratio', 'peak RSS', 'packages'],
    [
      ['floor: gzip -dc | tar -t', ms(floor), '1.00x', '', '', '', ''],
      ...results.map((r) => {
        const form = r.form;
        const scan = median(r.scan);
        const lfl = r.likeForLike.length ? median(r.likeForLike) : undefined;
        return [`scan: ${form.name}`, ms(scan), `${(scan / floor).toFixed(2)}x`, lfl === undefined ? '(= gzip floor)' : ms(lfl), lfl === undefined ? `${(scan / floor).toFixed(2)}x` : `${(scan / lfl).toFixed(2)}x`, mb(Math.max(...r.rss)), String(r.packages)];
      }),
    ],
  );
  const worst = Math.max(...results.map((r) => median(r.scan) / floor));
  const worstRss = Math.max(...results.flatMap((r) => r.rss));
  console.log(`\ntargets: <= 1.50x gzip floor (worst ${worst.toFixed(2)}x: ${worst <= 1.5 ? 'met' : 'MISSED'}), <= 250 MB peak RSS (worst ${mb(worstRss)}: ${worstRss <= 250e6 ? 'met' : 'MISSED'})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
