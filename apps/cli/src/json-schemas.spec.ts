import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { PLUGIN_KINDS } from '@bulkhead/plugin-sdk';
import { docsSchema, docsSchemaDir, repoRoot, testImages } from '@bulkhead/testing';
import { leafCommands } from './host/command-output';
import { buildProgram } from './main';
import { runCliIn, writeFiles } from './testing/in-process';

/**
 * One documented JSON schema per command (docs/schemas/<command>.schema.json), and each
 * command's `--format json` output validates against it in every variant of its flags (with or
 * without --pss, with errors, with suppressed findings...). The first test walks the program, so
 * a command added later that prints JSON fails here until it has its schema and a row.
 */

// The validator (ajv 2020, strict) is shared with the integration tests that validate the
// commands needing a registry: `docsSchema` of @bulkhead/testing.
const schemaDir = docsSchemaDir;

const cli = (args: string[], cwd: string) => runCliIn(cwd, args, { lines: true });

const AWS_KEY = ['AKIA', 'Z7QK3MW5', 'RT2PX4NB'].join('');
const dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-json-schemas-'));
const files: Record<string, string> = {
  'pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: nginx:1.25\n    securityContext:\n      privileged: true\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n',
  'broken.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: [{name: c, image: x\n',
  Dockerfile: 'FROM debian\nRUN apt-get install -y curl\n',
  'image-config.json': JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['PASSWORD=hunter2'] }, rootfs: { type: 'layers', diff_ids: [] } }),
  'inspect.json': JSON.stringify([{ Id: 'a'.repeat(64), Name: '/web', Config: { User: '', Image: 'nginx' }, HostConfig: { Privileged: true } }]),
  'rules.yaml': '- rule: shell\n  desc: a shell\n  condition: evt.type = execve and proc.name = bash\n  output: shell (%proc.name %fd.name)\n  priority: WARNING\n  tags: [shell]\n',
  'events.jsonl': ['{"evt.type":"execve","proc.name":"bash","evt.time":1000000000}', '{"evt.type":"execve","proc.name":"bash","evt.time":2000000000}'].join('\n'),
  'advisory.osv.json': JSON.stringify({
    id: 'GHSA-aaaa-bbbb-cccc',
    aliases: ['CVE-2024-0001'],
    modified: '2024-01-01T00:00:00Z',
    affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.3.0' }] }] }],
  }),
  'rootfs/etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
  'rootfs/var/lib/dpkg/status': 'Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n',
  'rootfs/app/node_modules/left-pad/package.json': JSON.stringify({ name: 'left-pad', version: '1.1.0' }),
  'rootfs/app/.env': `AWS_ACCESS_KEY_ID=${AWS_KEY}\n`,
  ignorefile: 'CVE-2024-0001   # not reachable\n',
  'gate-policy.yaml': 'maxSeverity: HIGH\nallowSecrets: false\n',
  'cfg/config.yaml': 'version_mapping:\n  "1.27": "cis-1.8"\ntarget_mapping:\n  "cis-1.8": ["node"]\nnode:\n  components: []\n',
  'cfg/cis-1.8/node.yaml':
    'controls:\nversion: "cis-1.8"\nid: 4\ntext: "Worker Node"\ntype: "node"\ngroups:\n  - id: 4.1\n    text: "Files"\n    checks:\n      - id: 4.1.1\n        text: "A check"\n        audit: "echo ok"\n        tests:\n          test_items:\n            - flag: "ok"\n              set: true\n        remediation: "none"\n        scored: true\n',
};
writeFiles(dir, files);
const cache = path.join(dir, 'cache');

/** `lines`: the output is JSON lines, each validated on its own. */
interface Row {
  args: string;
  schema: string;
  lines?: boolean;
  /** Checks that the row exercises what it is there for (a variant of the shape). */
  expect?: (json: Record<string, unknown>) => void;
}

const rows: Row[] = [
  { args: `scan rootfs:rootfs --cache-dir ${cache} --format json`, schema: 'scan', expect: (j) => expect((j['findings'] as unknown[]).length).toBeGreaterThanOrEqual(2) },
  { args: `scan rootfs:rootfs --cache-dir ${cache} --format json --ignorefile ignorefile --show-suppressed`, schema: 'scan', expect: (j) => expect(j['suppressed']).toHaveLength(1) },
  { args: `scan rootfs:rootfs --cache-dir ${path.join(dir, 'empty-cache')} --format json --scanners vuln`, schema: 'scan', expect: (j) => expect(j['vulnerabilityScan']).toMatchObject({ status: 'no-advisory-data' }) },
  { args: `db status --cache-dir ${cache} --format json`, schema: 'db-status' },
  { args: 'bench k8s pod.yaml --format json', schema: 'bench-k8s', expect: (j) => expect(j['workloads']).toHaveLength(1) },
  { args: 'bench k8s pod.yaml --pss restricted --format json', schema: 'bench-k8s', expect: (j) => expect(j['workloads']).toHaveLength(1) },
  { args: 'bench k8s pod.yaml --checks rbac,netpol --format json', schema: 'bench-k8s', expect: (j) => expect(j['workloads']).toEqual([]) },
  { args: 'bench k8s broken.yaml pod.yaml --format json', schema: 'bench-k8s', expect: (j) => expect(j['errors']).toHaveLength(1) },
  { args: 'bench node --config cfg --benchmark cis-1.8 --format json', schema: 'bench-node' },
  { args: 'bench dockerfile Dockerfile --format json', schema: 'bench-dockerfile' },
  { args: 'bench image --config-only image-config.json --format json', schema: 'bench-image' },
  { args: `bench image docker-archive:${testImages().tinyDockerArchive} --format json`, schema: 'bench-image' },
  { args: 'bench container inspect.json --format json', schema: 'bench-container' },
  { args: 'runtime replay --rules rules.yaml --format json -- events.jsonl', schema: 'runtime-replay', lines: true },
  { args: 'run k8s-manifests --kind benchmark --input {"paths":["pod.yaml"]}', schema: 'run' },
  {
    args: `gate docker-archive:${testImages().tinyDockerArchive} --policy gate-policy.yaml --format json`,
    schema: 'gate',
    expect: (j) => expect(j).toMatchObject({ digest: expect.stringMatching(/^sha256:/), children: [expect.anything(), expect.anything()] }),
  },
];

/**
 * Commands whose JSON needs a service to produce (a registry): each names the integration test
 * that runs it and validates its output against docs/schemas/<schema>.schema.json with the same
 * validator (`validateReport` / `docsSchema` of @bulkhead/testing). The test below checks that
 * the named file exists and does validate that schema, so a row cannot point at nothing.
 */
const validatedElsewhere: Record<string, { schema: string; spec: string }> = {
  verify: { schema: 'verify', spec: 'apps/cli/src/signer-cli.int-spec.ts' },
  'verify-attestation': { schema: 'verify-attestation', spec: 'apps/cli/src/signer-cli.int-spec.ts' },
  'cluster scan': { schema: 'cluster-scan', spec: 'apps/cli/src/cluster-scan.int-spec.ts' },
  probe: { schema: 'probe', spec: 'apps/cli/src/probe.int-spec.ts' },
};

function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

describe('one JSON schema per command', () => {
  beforeAll(async () => {
    expect((await cli(['db', 'import', 'advisory.osv.json', '--cache-dir', cache], dir)).code).toBe(0);
  });

  it('has a schema and a row for every command that prints JSON', async () => {
    const program = await buildProgram({ out: () => undefined, err: () => undefined }, () => undefined);
    const json = leafCommands(program)
      .filter((c) => c.name() === 'run' || c.options.some((o) => o.long === '--format' && /\bjson\b/.test(o.description)))
      .map(fullName);
    expect(json.length).toBeGreaterThan(8);
    const covered = new Set([...rows.map((r) => r.args.split(' ').slice(0, 2).join(' ')), ...Object.keys(validatedElsewhere)]);
    expect(json.filter((name) => ![...covered].some((c) => c === name || c.startsWith(`${name} `)))).toEqual([]);
    for (const row of [...rows, ...Object.values(validatedElsewhere)]) expect(readdirSync(schemaDir)).toContain(`${row.schema}.schema.json`);
  });

  it.each(Object.entries(validatedElsewhere))('bulkhead %s --format json is validated by the integration test it names', (command, { schema, spec }) => {
    const text = readFileSync(path.join(repoRoot, spec), 'utf8');
    // It runs the command with --format json and validates the output against that schema.
    expect(text).toMatch(new RegExp(`'${command}',[^\\n]*'--format', 'json'`));
    expect(text).toContain(`validateReport('${schema}'`);
  });

  it('documents every schema in docs/schemas/README.md', () => {
    const readme = readFileSync(path.join(schemaDir, 'README.md'), 'utf8');
    for (const file of readdirSync(schemaDir).filter((f) => f.endsWith('.schema.json'))) expect(readme).toContain(`(${file})`);
  });

  it("names the SDK's plugin kinds in run's schema", () => {
    const schema = JSON.parse(readFileSync(path.join(schemaDir, 'run.schema.json'), 'utf8')) as { properties: { kind: { enum: string[] } } };
    expect(schema.properties.kind.enum).toEqual([...PLUGIN_KINDS]);
  });

  it.each(rows)('bulkhead $args validates against docs/schemas/$schema.schema.json', async ({ args, schema, lines, expect: check }) => {
    const argv = args.split(' ');
    const { out, err } = await cli(argv, dir);
    const documents = lines ? out.split('\n').filter(Boolean) : [out];
    expect(documents.length).toBeGreaterThan(0);
    const validate = docsSchema(schema);
    for (const text of documents) {
      const json = JSON.parse(text) as Record<string, unknown>;
      const valid = validate(json);
      expect({ valid, errors: validate.errors ?? null, err }).toEqual({ valid: true, errors: null, err: expect.any(String) });
      check?.(json);
    }
  });

  it('refuses what the schemas leave out: a schema that accepted anything would prove nothing', () => {
    const bench = docsSchema('bench-k8s');
    expect(bench?.({ title: 't', results: [], summary: { PASS: 0, FAIL: 0, WARN: 0, INFO: 0, SKIP: 0 }, errors: [], notes: [], skipped: [], skippedFiles: [], workloads: [], checks: [] })).toBe(false);
    // The old --pss shape (results of workloads, no summary) is not bench k8s's shape any more.
    expect(bench?.({ results: [{ kind: 'Pod', namespace: 'default', name: 'p', pss: { level: 'baseline', version: 'latest', allowed: true, violations: [] } }] })).toBe(false);
    expect(docsSchema('scan')({ schemaVersion: 2 })).toBe(false);
    expect(docsSchema('verify')({ reference: 'r', digest: 'sha256:ab', verified: true, checks: [], reason: null, attestations: [] })).toBe(false);
    expect(docsSchema('gate')({ decision: 'MAYBE' })).toBe(false);
  });
});
