import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sharedPath, skipSuite } from '@bulkhead/testing';
import { findDockerfiles } from '../cli/dockerfile-command';
import { checkDockerfile } from '../docker/dockerfile';
import { evaluateManifests } from '../k8s/evaluate';
import { loadManifests } from '../k8s/load';
import { attachObjects, compareWithTrivy, trivyFailures, type ArguedRule } from './trivy-compare';

/**
 * Trivy conformance: `trivy config` (the real binary, through ../shared/tools/trivy-peer.sh) and
 * Bulkhead over the same corpus — the newest pod-security-admission fixtures of each level
 * (../shared/peers/pod-security-admission) and this plugin's test-corpus/ (realistic manifests and
 * Dockerfiles). Every Trivy KSV/DS failure must have a Bulkhead finding of an equivalent check
 * (the cross-references, src/report/references.ts) on the same file and object, or be argued
 * (test-corpus/trivy-argued.json: where Trivy contradicts an upstream rule), or be listed as
 * pending (test-corpus/trivy-pending.json: a Bulkhead check not there yet). A pending entry that
 * is now matched fails the test too, so the list only shrinks.
 */

const run = promisify(execFile);
const CORPUS = path.join(__dirname, '..', '..', 'test-corpus');
const SUITE = 'Trivy config conformance';

interface PendingEntry {
  trivy: string;
  file?: string;
  reason: string;
}

const trivyPeer = sharedPath('tools', 'trivy-peer.sh');
const psaRoot = sharedPath('peers', 'pod-security-admission', 'testdata');

if (!trivyPeer || !existsSync(trivyPeer) || !psaRoot || !existsSync(psaRoot)) {
  skipSuite(SUITE, `needs ../shared/tools/trivy-peer.sh and ../shared/peers/pod-security-admission (BULKHEAD_SHARED_DIR names the folder), absent here`);
} else {
  describe(SUITE, () => {
    let trivy: string | undefined;
    let root = '';
    beforeAll(async () => {
      try {
        trivy = (await run(trivyPeer, [], { timeout: 120_000 })).stdout.trim();
      } catch {
        trivy = undefined;
      }
      root = mkdtempSync(path.join(tmpdir(), 'trivy-conformance-'));
      cpSync(path.join(CORPUS, 'k8s'), path.join(root, 'k8s'), { recursive: true });
      cpSync(path.join(CORPUS, 'docker'), path.join(root, 'docker'), { recursive: true });
      for (const level of ['baseline', 'restricted']) {
        const newest = readdirSync(path.join(psaRoot, level)).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])).pop();
        if (newest) cpSync(path.join(psaRoot, level, newest), path.join(root, 'psa', level, newest), { recursive: true });
      }
    }, 180_000);
    afterAll(() => {
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it('every Trivy KSV/DS failure has a Bulkhead finding on the same file and object, or is argued', async () => {
      if (!trivy) {
        if (process.env['BULKHEAD_NO_SKIP'] === '1') throw new Error('trivy-peer.sh could not provide the trivy binary; BULKHEAD_NO_SKIP=1 forbids skipping');
        process.stderr.write(`skipped "${SUITE}": trivy-peer.sh could not provide the trivy binary\n`);
        return;
      }
      const cacheDir = mkdtempSync(path.join(tmpdir(), 'trivy-cache-'));
      let report: unknown;
      try {
        const { stdout } = await run(trivy, ['config', '--skip-policy-update', '--format', 'json', '--cache-dir', cacheDir, '--quiet', root], { timeout: 600_000, maxBuffer: 256 << 20 });
        report = JSON.parse(stdout);
      } finally {
        rmSync(cacheDir, { recursive: true, force: true });
      }

      const loaded = await loadManifests([path.join(root, 'k8s'), path.join(root, 'psa')]);
      const k8s = evaluateManifests(loaded, { pss: { level: 'restricted' } });
      const dockerResults = [];
      const dockerfiles = await findDockerfiles(path.join(root, 'docker'));
      for (const file of dockerfiles) dockerResults.push(...checkDockerfile(readFileSync(file, 'utf8'), file).results);

      const failures = attachObjects(trivyFailures(report), loaded.objects, root);
      const argued = JSON.parse(readFileSync(path.join(CORPUS, 'trivy-argued.json'), 'utf8')) as ArguedRule[];
      const extra = JSON.parse(readFileSync(path.join(CORPUS, 'trivy-map-extra.json'), 'utf8')) as Record<string, unknown>;
      const pending = JSON.parse(readFileSync(path.join(CORPUS, 'trivy-pending.json'), 'utf8')) as PendingEntry[];
      const comparison = compareWithTrivy(failures, [...k8s.report.results, ...dockerResults], loaded.objects, root, argued, extra);

      const isPending = (f: { id: string; file: string }) => pending.some((p) => p.trivy === f.id && (!p.file || f.file.startsWith(p.file)));
      const unexplained = comparison.unmatched.filter((r) => !isPending(r.failure));
      const pendingHit = comparison.unmatched.filter((r) => isPending(r.failure));
      const stalePending = pending.filter((p) => !pendingHit.some((r) => r.failure.id === p.trivy && (!p.file || r.failure.file.startsWith(p.file))));
      process.stdout.write(
        `Trivy conformance: ${comparison.raised} Trivy failures (${comparison.ids.raised} check ids) on ${loaded.files.length} manifests and ${dockerfiles.length} Dockerfiles; ` +
          `${comparison.matched} matched (${comparison.matchedInfo} by an INFO result), ${comparison.argued} argued, ${pendingHit.length} pending, ${unexplained.length} unexplained; ` +
          `${comparison.ids.covered}/${comparison.ids.raised} ids fully matched or argued\n`,
      );
      expect(comparison.raised).toBeGreaterThan(100);
      expect(unexplained.map((r) => `${r.failure.id} ${r.failure.file} ${r.failure.object ?? ''} (${r.failure.message})`)).toEqual([]);
      expect(stalePending.map((p) => `${p.trivy} ${p.file ?? ''}: now matched or argued, remove it from trivy-pending.json`)).toEqual([]);
    }, 900_000);
  });
}
