import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { repoRoot, testImages } from '@bulkhead/testing';
import { leafCommands } from './host/command-output';
import { buildProgram } from './main';
import { runCliIn, writeFiles } from './testing/in-process';

/**
 * `--output FILE` and `--quiet` on every command. The first test walks the program, so a
 * command added later (by a plugin or another stream) is checked without being listed here;
 * the table then runs each command that works inline and checks what the flags do.
 */

const cli = (args: string[], cwd: string) => runCliIn(cwd, args, { lines: true });

const dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-output-options-'));
const files: Record<string, string> = {
  'pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: nginx:1.25\n',
  Dockerfile: 'FROM debian:12.5\nUSER app\nADD a.txt /a\nCMD ["sleep", "1"]\n',
  'image-config.json': JSON.stringify({ architecture: 'amd64', os: 'linux', config: { User: 'app' }, rootfs: { type: 'layers', diff_ids: [] } }),
  'inspect.json': JSON.stringify([{ Id: 'a'.repeat(64), Name: '/web', Config: { User: 'app', Image: 'nginx:1.25' }, HostConfig: {} }]),
  'rules.yaml': '- rule: shell\n  desc: a shell\n  condition: evt.type = execve and proc.name = bash\n  output: shell (%proc.name)\n  priority: WARNING\n',
  'events.jsonl': '{"evt.type":"execve","proc.name":"bash","evt.time":1000000000}\n',
  'gate-policy.yaml': 'maxSeverity: CRITICAL\nallowSecrets: true\n',
  'advisory.osv.json': JSON.stringify({ id: 'GHSA-aaaa-bbbb-cccc', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }] }),
  'rootfs/etc/os-release': 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12"\n',
  'rootfs/var/lib/dpkg/status': 'Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n',
  // kube-bench control files whose one audit needs no Kubernetes: enough to run `bench node`.
  'cfg/config.yaml': 'version_mapping:\n  "1.27": "cis-1.8"\ntarget_mapping:\n  "cis-1.8": ["node"]\nnode:\n  components: []\n',
  'cfg/cis-1.8/node.yaml':
    'controls:\nversion: "cis-1.8"\nid: 4\ntext: "Worker Node Security Configuration"\ntype: "node"\ngroups:\n  - id: 4.1\n    text: "Worker Node Configuration Files"\n    checks:\n      - id: 4.1.1\n        text: "A check that needs no kubelet"\n        audit: "echo ok"\n        tests:\n          test_items:\n            - flag: "ok"\n              set: true\n        remediation: "none"\n        scored: true\n',
};
writeFiles(dir, files);

/** What each command needs to run inline here; `quietDrops` is an informational stderr line --quiet removes. */
interface Row {
  args: string;
  quietDrops?: RegExp;
}

// `{cache}`: a fresh advisory cache per run (a second import would say "replaced"); `{flags}`:
// where --output/--quiet go when not at the end (before a `--` that ends the options).
const runnable: Row[] = [
  { args: 'scan rootfs:rootfs --cache-dir {cache}', quietDrops: /^\[ *\d+%\]/m },
  { args: 'db import advisory.osv.json --cache-dir {cache}', quietDrops: /^\[ *\d+%\]/m },
  { args: 'db update --feed {feed} --cache-dir {cache}', quietDrops: /^\[ *\d+%\]/m },
  { args: `db status --cache-dir ${path.join(dir, 'status-cache')}` },
  { args: 'bench k8s pod.yaml', quietDrops: /^\[ *\d+%\]/m },
  { args: 'bench k8s pod.yaml --ignore KSV014', quietDrops: /--ignore/ },
  { args: 'bench dockerfile Dockerfile', quietDrops: /^\[ *\d+%\]/m },
  { args: 'bench image --config-only image-config.json' },
  { args: 'bench container inspect.json' },
  { args: 'bench node --config cfg --benchmark cis-1.8' },
  { args: 'runtime rules validate rules.yaml' },
  { args: 'runtime replay {flags} --rules rules.yaml -- events.jsonl', quietDrops: /Events detected: 1/ },
  { args: 'run k8s-manifests --kind benchmark --input {"paths":["pod.yaml"]}' },
  // A new key pair per run (keygen never overwrites one); the password from COSIGN_PASSWORD.
  { args: 'keygen --output-key-prefix {cache}' },
  { args: `gate docker-archive:${testImages().tinyDockerArchive} --policy gate-policy.yaml`, quietDrops: /^\[ *\d+%\]/m },
];

/**
 * Commands that cannot run in this unit test (they need Postgres, a registry ...): checked
 * structurally above, run where their services are. A new command that needs a service joins
 * here with the reason; one that runs inline joins `runnable`. `checkedIn`: the integration test
 * that runs it with `--output FILE --quiet` (file written, 0600, stdout empty), checked below to
 * do so.
 */
const runElsewhere: Record<string, { reason: string; checkedIn?: string }> = {
  migrate: { reason: 'needs Postgres' },
  'token create': { reason: 'needs Postgres' },
  'token list': { reason: 'needs Postgres' },
  'token revoke': { reason: 'needs Postgres' },
  push: { reason: 'needs a registry', checkedIn: 'apps/cli/src/registry-commands.int-spec.ts' },
  pull: { reason: 'needs a registry', checkedIn: 'apps/cli/src/registry-commands.int-spec.ts' },
  sign: { reason: 'needs a registry', checkedIn: 'apps/cli/src/signer-cli.int-spec.ts' },
  verify: { reason: 'needs a registry', checkedIn: 'apps/cli/src/signer-cli.int-spec.ts' },
  attest: { reason: 'needs a registry', checkedIn: 'apps/cli/src/signer-cli.int-spec.ts' },
  'verify-attestation': { reason: 'needs a registry', checkedIn: 'apps/cli/src/signer-cli.int-spec.ts' },
  'cluster scan': { reason: 'needs a Kubernetes API server (the stand-in)', checkedIn: 'apps/cli/src/cluster-scan.int-spec.ts' },
  probe: { reason: 'needs a running API and worker', checkedIn: 'apps/cli/src/probe.int-spec.ts' },
};
/** Commands without --output, and why. */
const withoutOutput: Record<string, string> = { serve: 'a server prints no report: its logs go to stderr' };

function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

let caches = 0;

const savedPassword = process.env['COSIGN_PASSWORD'];
beforeAll(() => {
  process.env['COSIGN_PASSWORD'] = 'output-options';
});
afterAll(() => {
  if (savedPassword === undefined) delete process.env['COSIGN_PASSWORD'];
  else process.env['COSIGN_PASSWORD'] = savedPassword;
});

// `db update` downloads its feed: a local HTTP server serves the OSV file.
let server: Server;
let feedUrl = '';
beforeAll(async () => {
  const body = readFileSync(path.join(dir, 'advisory.osv.json'));
  server = createServer((req, res) => {
    // Only the feed itself: no checksum sidecar (.sha256) is published.
    if (req.url !== '/advisory.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  feedUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/advisory.json`;
  // `db status` reports on a database: import one first.
  expect((await cli(['db', 'import', 'advisory.osv.json', '--cache-dir', path.join(dir, 'status-cache')], dir)).code).toBe(0);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('--output FILE and --quiet on every command', () => {
  const saved = process.env['BULKHEAD_PROGRESS'];
  beforeAll(() => {
    // Progress as plain lines although Jest's stderr is no terminal, so that --quiet has some to drop.
    process.env['BULKHEAD_PROGRESS'] = '1';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env['BULKHEAD_PROGRESS'];
    else process.env['BULKHEAD_PROGRESS'] = saved;
  });

  it('every runnable command takes --output (but those listed without it) and --quiet, and each is run below or listed in runElsewhere', async () => {
    const program = await buildProgram({ out: () => undefined, err: () => undefined }, () => undefined);
    const leaves = leafCommands(program).map((c) => ({ name: fullName(c), options: c.options.map((o) => o.long) }));
    expect(leaves.length).toBeGreaterThan(10);
    for (const { name, options } of leaves) {
      expect({ name, quiet: options.includes('--quiet'), output: options.includes('--output') }).toEqual({ name, quiet: true, output: !(name in withoutOutput) });
    }
    const covered = new Set([...runnable.map((r) => r.args), ...Object.keys(runElsewhere), ...Object.keys(withoutOutput)]);
    const uncovered = leaves.map((l) => l.name).filter((name) => ![...covered].some((c) => c === name || c.startsWith(`${name} `)));
    // A new command joins the table by adding a row to `runnable` (or to runElsewhere).
    expect(uncovered).toEqual([]);
  });

  it.each(Object.entries(runElsewhere).filter(([, row]) => row.checkedIn))('%s: its integration test runs it with --output FILE --quiet', (command, { checkedIn }) => {
    const text = readFileSync(path.join(repoRoot, checkedIn as string), 'utf8');
    // A call of the command that passes both flags, and checks of the file's mode and an empty stdout.
    const calls = text.split('\n').filter((line) => line.includes(`'${command}',`) || line.includes(`quietly('${command}'`));
    expect(calls.some((line) => line.includes("'--quiet'") || line.includes('quietly('))).toBe(true);
    expect(text).toMatch(/mode & 0o777\)\.toBe\(0o600\)/);
    expect(text).toMatch(/out: ''|out\)\.toBe\(''\)/);
  });

  it.each(runnable)('bulkhead $args --output FILE --quiet', async ({ args, quietDrops }) => {
    const argv = (flags: string[]): string[] => {
      const words = args
        .replace('{cache}', path.join(dir, `cache-${++caches}`))
        .replace('{feed}', feedUrl)
        .split(' ')
        .flatMap((w) => (w === '{flags}' ? flags : [w]));
      return args.includes('{flags}') ? words : [...words, ...flags];
    };
    const plain = await cli(argv([]), dir);
    expect(plain.out.length).toBeGreaterThan(0);
    if (quietDrops) expect(plain.err).toMatch(quietDrops);

    const file = path.join(dir, `out-${args.split(' ').slice(0, 3).join('-').replace(/[^a-z0-9-]/gi, '_')}.txt`);
    const written = await cli(argv(['--output', file, '--quiet']), dir);
    expect({ code: written.code, out: written.out }).toEqual({ code: plain.code, out: '' });
    expect(normalize(readFileSync(file, 'utf8'))).toEqual(normalize(plain.out));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    if (quietDrops) expect(written.err).not.toMatch(quietDrops);
    // Only errors and warnings may remain on stderr under --quiet.
    for (const line of written.err.split('\n').filter(Boolean)) expect(line).toMatch(/error|warning|cannot|not checked/i);
    // No temporary file is left beside it.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves the previous file in place, and no temporary file, when the command fails', async () => {
    const file = path.join(dir, 'kept.txt');
    writeFileSync(file, 'previous report\n');
    const failed = await cli(['bench', 'k8s', 'pod.yaml', '--format', 'xml', '--output', file], dir);
    expect(failed.code).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('previous report\n');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('takes - as standard output, and refuses a directory as a usage error', async () => {
    const dash = await cli(['bench', 'k8s', 'pod.yaml', '--output', '-'], dir);
    expect(dash.out).toMatch(/failed/);
    expect(existsSync(path.join(dir, '-'))).toBe(false);
    const folder = await cli(['bench', 'k8s', 'pod.yaml', '--output', 'rootfs'], dir);
    expect({ code: folder.code, err: folder.err }).toEqual({ code: 2, err: expect.stringContaining('cannot write --output rootfs: it is a directory') });
  });

  it('names an --output file that cannot be written, in words', async () => {
    const result = await cli(['bench', 'k8s', 'pod.yaml', '--output', path.join(dir, 'no-such-dir', 'report.txt')], dir);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/cannot write --output .*no-such-dir.*: no such file or directory/);
    expect(existsSync(path.join(dir, 'no-such-dir'))).toBe(false);
  });
});

/** Timestamps and durations that differ between two runs of the same command. */
function normalize(text: string): string {
  return text
    .replace(/cache-\d+/g, 'cache')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?/g, '<time>')
    .replace(/"(time|durationMs|startedAt|finishedAt|taskId)": ?("[^"]*"|\d+)/g, '"$1": <x>');
}
