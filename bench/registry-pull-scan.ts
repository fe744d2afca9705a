// Registry pull-and-scan benchmark: `npm run bench -- registry-pull-scan [runs]`.
//
// Starts a loopback registry (../shared/tools/start-registry.sh, distribution 2.8, no auth),
// pushes the Debian bookworm minbase test image (tools/scripts/make-minbase-image.sh) to it with
// the registry client, then compares, in the same run:
//   scan:  `scanArtifact('registry:<host>/bench/minbase:bookworm')` with the built-in analyzers —
//          manifest, config and the gzip layer fetched over HTTP and streamed into the scanner
//          (digest-verified, nothing written to disk), in a fresh child process (its time
//          excludes Node start-up; its peak RSS is its own);
//   floor: the same blobs fetched with plain HTTP requests (curl), the layer piped through
//          `gzip -dc | tar -t` — fetching and listing the image and nothing more.
// Target: scan median <= 1.5x the floor median.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseRegistryReference, pushImage, RegistryClient, staticCredentials } from '@bulkhead/oci';
import { builtinAnalyzers, scanArtifact } from '@bulkhead/plugin-scanner';
import { startTestRegistry, testImages, testRegistryMissing } from '@bulkhead/testing';
import { median, printTable } from './lib/measure';
import { peakRss, runChildJson, timeShell } from './lib/scan-bench';

const repoRoot = path.resolve(__dirname, '../..');
process.env['BULKHEAD_TEST_IMAGES'] ??= path.join(repoRoot, 'tmp', 'test-images');

const REPOSITORY = 'bench/minbase';
const TAG = 'bookworm';

interface ChildResult {
  scanMs: number;
  packages: number;
  peakRssBytes: number;
}

async function child(reference: string): Promise<void> {
  const start = performance.now();
  const result = await scanArtifact(reference, { analyzers: builtinAnalyzers, registry: { credentials: staticCredentials({}) } });
  const scanMs = performance.now() - start;
  const out: ChildResult = { scanMs, packages: result.packages.length, peakRssBytes: peakRss() };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  // Keep-alive sockets to the registry must not hold the child open.
  process.exit(0);
}

function ms(value: number): string {
  return `${value.toFixed(0)} ms`;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3] ?? '');
  const runs = Number(process.argv[2] ?? 5);
  const missing = testRegistryMissing();
  if (missing) throw new Error(`registry-pull-scan ${missing}`);
  execFileSync('curl', ['--version'], { stdio: 'ignore' });
  const images = testImages();
  const registry = await startTestRegistry();
  try {
    const client = new RegistryClient({ credentials: staticCredentials({}) });
    const target = parseRegistryReference(`${registry.host}/${REPOSITORY}:${TAG}`);
    await pushImage(client, `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`, target);
    client.close();

    const manifest = JSON.parse(readFileSync(path.join(images.minbaseOciLayout, 'blobs', 'sha256', images.minbaseManifestDigest.slice(7)), 'utf8')) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    const base = `${registry.url}/v2/${REPOSITORY}`;
    const accept = 'application/vnd.oci.image.manifest.v1+json';
    // The floor fetches what the scan fetches — manifest, config, every layer — with one curl
    // per request (as separate connections, like the first requests of a scan), each layer
    // decompressed and listed.
    const layerCommands = manifest.layers.map((l) => `curl -fsS "${base}/blobs/${l.digest}" | gzip -dc | tar -t >/dev/null`).join(' && ');
    const floorScript = `curl -fsS -H "Accept: ${accept}" "${base}/manifests/${TAG}" >/dev/null && curl -fsS "${base}/blobs/${manifest.config.digest}" >/dev/null && ${layerCommands}`;
    const reference = `registry:${registry.host}/${REPOSITORY}:${TAG}`;
    const runChild = (): ChildResult => runChildJson<ChildResult>(__filename, [reference], `scan of ${reference}`);

    // Warm-up: the registry's storage in the page cache, the scanner's modules on disk.
    runChild();
    timeShell(floorScript);
    const floor: number[] = [];
    const scan: number[] = [];
    const rss: number[] = [];
    let packages = 0;
    for (let run = 0; run < runs; run++) {
      floor.push(timeShell(floorScript));
      const measured = runChild();
      scan.push(measured.scanMs);
      rss.push(measured.peakRssBytes);
      packages = measured.packages;
    }
    const floorMs = median(floor);
    const scanMs = median(scan);
    const ratio = scanMs / floorMs;
    console.log(`registry-pull-scan: minbase bookworm from a loopback registry (${registry.host}), ${runs} runs each, medians\n`);
    printTable(
      ['measurement', 'time', 'ratio', 'peak RSS', 'packages'],
      [
        ['floor: curl manifest, config, layer | gzip -dc | tar -t', ms(floorMs), '1.00x', '', ''],
        ['scan: registry:<ref> (pull + inventory, streamed)', ms(scanMs), `${ratio.toFixed(2)}x`, `${(Math.max(...rss) / 1e6).toFixed(1)} MB`, String(packages)],
      ],
    );
    console.log(`\nratio ${ratio.toFixed(2)}x; target <= 1.50x: ${ratio <= 1.5 ? 'met' : 'MISSED'}`);
  } finally {
    await registry.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
