// Pod Security Standards / Kubernetes manifest benchmark: `npm run bench -- pss`.
//
// 1. Every pod-security-admission fixture (../shared/peers/pod-security-admission) read, parsed
//    and evaluated at its own level and version, against a baseline of only reading and
//    YAML-parsing the same files in the same run, with the loader's own parser (js-yaml).
// 2. A generated cluster dump (2,500 objects: workloads, RBAC, NetworkPolicies, config) as one
//    multi-document YAML, evaluated with every check group, against a baseline of reading and
//    parsing it. Peak RSS and heap growth are reported to show memory stays bounded.
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { evaluateManifests, evaluateWorkloads, loadManifests, parseManifestText, parseYamlDocument, splitYamlDocuments, type LoadedManifests, type PssLevel } from '@bulkhead/plugin-benchmark';
import { sharedPath } from '@bulkhead/testing';
import { gc, median, printTable, time, timeAsync, type BaselineRow as Row } from './lib/measure';

const RUNS = 5;

interface Fixture {
  file: string;
  level: PssLevel;
  version: string;
  expectAllowed: boolean;
}

function fixtures(root: string): Fixture[] {
  const out: Fixture[] = [];
  for (const level of ['baseline', 'restricted'] as const) {
    for (const version of readdirSync(path.join(root, level))) {
      for (const expect of ['pass', 'fail']) {
        const dir = path.join(root, level, version, expect);
        for (const name of readdirSync(dir)) if (name.endsWith('.yaml')) out.push({ file: path.join(dir, name), level, version, expectAllowed: expect === 'pass' });
      }
    }
  }
  return out;
}

/**
 * Reading and YAML-parsing a file the way the loader does (js-yaml with the Kubernetes schema, one
 * document at a time), without building manifest objects or evaluating: the baseline of both rows.
 */
function readAndParse(file: string): void {
  for (const doc of splitYamlDocuments(readFileSync(file, 'utf8'))) parseYamlDocument(doc.text);
}

function benchFixtures(root: string): Row {
  const list = fixtures(root);
  const baseline = () => {
    for (const f of list) readAndParse(f.file);
  };
  let agree = 0;
  const measured = () => {
    agree = 0;
    for (const f of list) {
      const loaded: LoadedManifests = { objects: [], errors: [], files: [f.file] };
      parseManifestText(readFileSync(f.file, 'utf8'), f.file, loaded);
      const [result] = evaluateWorkloads(loaded.objects, f.level, f.version);
      if (result && result.pss.allowed === f.expectAllowed) agree++;
    }
  };
  baseline();
  measured(); // warm-up (JIT, file cache)
  const b: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    b.push(time(baseline));
    m.push(time(measured));
  }
  return { name: 'PSA fixtures: read+parse+evaluate', items: list.length, baselineMs: median(b), measuredMs: median(m), note: `${agree}/${list.length} agree with fixture` };
}

const PRIVILEGED = { privileged: true, capabilities: { add: ['NET_ADMIN'] } };
const HARDENED = { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };

function podSpec(i: number): Record<string, unknown> {
  return {
    serviceAccountName: i % 3 === 0 ? 'default' : `sa-${i % 20}`,
    hostNetwork: i % 17 === 0,
    containers: [
      { name: 'app', image: `registry.example/app-${i}:1.0`, ports: [{ containerPort: 8080, ...(i % 13 === 0 ? { hostPort: 8080 } : {}) }], securityContext: i % 7 === 0 ? PRIVILEGED : HARDENED },
      { name: 'sidecar', image: 'registry.example/proxy:2', securityContext: HARDENED },
    ],
    volumes: i % 11 === 0 ? [{ name: 'host', hostPath: { path: '/var/run' } }] : [{ name: 'tmp', emptyDir: {} }],
  };
}

/** A mixed cluster dump of `count` objects over 25 namespaces. */
function clusterDump(count: number): string {
  const docs: string[] = [];
  for (let i = 0; i < count; i++) {
    const ns = `team-${i % 25}`;
    const labels = { app: `app-${i % 200}`, tier: i % 2 ? 'web' : 'worker' };
    const meta = { name: `obj-${i}`, namespace: ns, labels };
    const template = { metadata: { labels }, spec: podSpec(i) };
    let o: Record<string, unknown>;
    switch (i % 20) {
      case 0: case 1: case 2: case 3: case 4: case 5:
        o = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta, spec: { replicas: 2, selector: { matchLabels: labels }, template } };
        break;
      case 6: case 7:
        o = { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: podSpec(i) };
        break;
      case 8:
        o = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta, spec: { serviceName: meta.name, selector: { matchLabels: labels }, template } };
        break;
      case 9:
        o = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta, spec: { selector: { matchLabels: labels }, template } };
        break;
      case 10:
        o = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta, spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } } };
        break;
      case 11:
        o = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta, rules: [{ apiGroups: [''], resources: i % 3 ? ['configmaps'] : ['secrets', 'pods/exec'], verbs: i % 5 ? ['get', 'list'] : ['*'] }] };
        break;
      case 12:
        o = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: i % 40 === 12 ? 'ClusterRole' : 'Role', name: i % 40 === 12 ? 'cluster-admin' : `obj-${i - 1}` }, subjects: [{ kind: 'ServiceAccount', name: `sa-${i % 20}`, namespace: ns }] };
        break;
      case 13:
        o = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `cr-${i}`, labels: { 'rbac.example/aggregate': String(i % 2 === 0) } }, ...(i % 60 === 13 ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example/aggregate': 'true' } }] } } : {}), rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'create'] }] };
        break;
      case 14:
        o = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: i % 40 === 14 ? 'default' : `sa-${i % 20}`, namespace: ns }, automountServiceAccountToken: i % 3 === 0 ? false : undefined };
        break;
      case 15: case 16:
        o = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta, spec: { podSelector: i % 4 ? { matchLabels: { app: `app-${i % 200}` } } : { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, policyTypes: i % 3 ? ['Ingress', 'Egress'] : ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] } };
        break;
      case 17:
        o = { apiVersion: 'v1', kind: 'Service', metadata: meta, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } };
        break;
      default:
        o = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { 'config.yaml': `key: value-${i}\nother: ${'x'.repeat(40)}\n` } };
    }
    docs.push(JSON.stringify(o)); // JSON is valid YAML flow style; one document per object
  }
  return docs.join('\n---\n') + '\n';
}

async function benchDump(count: number): Promise<{ row: Row; rssMb: number; heapDeltaMb: number; results: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-pss-'));
  const file = path.join(dir, 'cluster.yaml');
  try {
    writeFileSync(file, clusterDump(count));
    // Same document-at-a-time parsing as the loader, so the baseline is the pure read+parse cost.
    const baseline = () => readAndParse(file);
    let results = 0;
    const measured = async () => {
      const loaded = await loadManifests([file]);
      if (loaded.objects.length !== count || loaded.errors.length) throw new Error(`dump loaded ${loaded.objects.length} objects, ${loaded.errors.length} errors`);
      results = evaluateManifests(loaded, { pss: { level: 'restricted', version: 'latest' } }).report.results.length;
    };
    // Measured runs first: the process's peak RSS is then the loader's and the checks', taken
    // before the baseline runs.
    await measured();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const m: number[] = [];
    for (let i = 0; i < RUNS; i++) m.push(await timeAsync(measured));
    gc();
    const heapDeltaMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const rssMb = process.resourceUsage().maxRSS / 1024;
    baseline();
    const b: number[] = [];
    for (let i = 0; i < RUNS; i++) b.push(time(baseline));
    const row = { name: `cluster dump (${count} objects, 1 file): load+all checks`, items: count, baselineMs: median(b), measuredMs: median(m), note: `${results} results` };
    return { row, rssMb, heapDeltaMb, results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printRows(rows: Row[]): void {
  const header = ['benchmark', 'items', 'baseline ms (read+parse)', 'measured ms', 'ratio', 'per item µs', 'note'];
  printTable(
    header,
    rows.map((r) => [r.name, String(r.items), r.baselineMs.toFixed(1), r.measuredMs.toFixed(1), `${(r.measuredMs / r.baselineMs).toFixed(2)}x`, ((r.measuredMs * 1000) / r.items).toFixed(1), r.note]),
  );
}

async function main(): Promise<void> {
  // Compiled to dist/bench, @bulkhead/testing's repo root is dist/: point it at ../shared of the
  // working directory (bench.sh runs from the repository root) unless the caller chose a folder.
  process.env['BULKHEAD_SHARED_DIR'] ??= path.resolve(process.cwd(), '..', 'shared');
  const root = sharedPath('peers', 'pod-security-admission', 'testdata');
  const count = Number(process.argv[2] ?? 2500);
  // The dump runs first so that the process's peak RSS is the dump's, not the fixtures'.
  const rssBeforeMb = process.resourceUsage().maxRSS / 1024;
  const dump = await benchDump(count);
  const rows: Row[] = [];
  if (root) rows.push(benchFixtures(root));
  else console.log('skipped PSA fixtures: ../shared is absent (set BULKHEAD_SHARED_DIR)');
  rows.push(dump.row);
  console.log(`median of ${RUNS} runs after a warm-up; node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  printRows(rows);
  console.log(
    `memory (cluster dump): peak RSS ${dump.rssMb.toFixed(0)} MB (${rssBeforeMb.toFixed(0)} MB before it); heap growth after ${RUNS} runs ${dump.heapDeltaMb.toFixed(1)} MB`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
