import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PLUGIN_KINDS } from '@bulkhead/plugin-sdk';
import { testImages } from '@bulkhead/testing';
import { HELP_KINDS } from './commands/run.command';
import { runCliIn } from './testing/in-process';

/**
 * Exit codes a pipeline can trust, the same for every command: 0 success, 1 the work failed
 * (including an input that cannot be read or parsed, named in the output), 2 a usage error.
 * Runs the CLI in-process over small files written here.
 */
const cli = (args: string[], cwd: string) => runCliIn(cwd, args);

const dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-exit-codes-'));
const files: Record<string, string> = {
  'pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: nginx:1.25\n',
  'broken.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: [{name: c, image: x\n',
  'empty': '',
  'Dockerfile': 'FROM debian:12.5\nUSER app\nCMD ["sleep", "1"]\n',
  'Failing.Dockerfile': 'FROM debian:12.5\nUSER app\nADD a.txt /a\n',
  'Unknown.Dockerfile': 'FROM debian:12.5\nFOO bar\n',
  'image-config.json': JSON.stringify({ architecture: 'amd64', os: 'linux', config: { User: 'app' }, rootfs: { type: 'layers', diff_ids: [] } }),
  'inspect.json': JSON.stringify([{ Id: 'a'.repeat(64), Name: '/web', Config: { User: 'app', Image: 'nginx:1.25' }, HostConfig: {} }]),
  'not-json.json': '{ "Id": ',
  'rules.yaml': '- rule: shell\n  desc: a shell\n  condition: evt.type = execve and proc.name = bash\n  output: shell (%proc.name)\n  priority: WARNING\n',
  'bad-rules.yaml': '- rule: shell\n  desc: [unclosed\n',
  'events.jsonl': '',
  // The signer's and the gate's inputs: an existing key pair keygen must not overwrite, policies.
  'existing.key': 'not overwritten\n',
  'policy.yaml': 'maxSeverity: HIGH\n',
  'unknown-key.yaml': 'maxSeverty: HIGH\n',
  'predicate.json': '{}',
};
for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
// A kube-bench cfg folder with one benchmark: enough for the command line to be checked against it.
mkdirSync(path.join(dir, 'cfg', 'cis-1.8'), { recursive: true });
writeFileSync(path.join(dir, 'cfg', 'config.yaml'), 'version_mapping:\n  "1.27": "cis-1.8"\ntarget_mapping:\n  "cis-1.8": ["node"]\n');

// A node benchmark that needs the kubelet, which this test host does not run.
mkdirSync(path.join(dir, 'kcfg', 'cis-1.8'), { recursive: true });
writeFileSync(
  path.join(dir, 'kcfg', 'config.yaml'),
  'version_mapping:\n  "1.27": "cis-1.8"\ntarget_mapping:\n  "cis-1.8": ["node"]\nnode:\n  components:\n    - kubelet\n  kubelet:\n    bins:\n      - "hyperkube kubelet"\n      - "kubelet"\n',
);
writeFileSync(
  path.join(dir, 'kcfg', 'cis-1.8', 'node.yaml'),
  'controls:\nversion: "cis-1.8"\nid: 4\ntext: "Worker Node"\ntype: "node"\ngroups:\n  - id: 4.2\n    text: "Kubelet"\n    checks:\n      - id: 4.2.1\n        text: "anonymous auth"\n        audit: "/bin/ps -fC $kubeletbin"\n        tests:\n          test_items:\n            - flag: "--anonymous-auth"\n              compare:\n                op: eq\n                value: false\n        remediation: "r"\n        scored: true\n',
);

type Row = [args: string, code: number, mentions?: RegExp];

// The ship-phase commands: usage and input errors are found before any registry is contacted,
// so an unreachable reference (port 9 on loopback) is enough; the gate reads the tiny image.
const image = '127.0.0.1:9/app:1';
const archive = `docker-archive:${testImages().tinyDockerArchive}`;

const usageErrors: Row[] = [
  ['bench k8s pod.yaml --format xml', 2, /--format "xml"/],
  ['bench k8s pod.yaml --exit-code x', 2, /--exit-code "x"/],
  ['bench k8s pod.yaml --pss strict', 2, /strict/],
  ['bench k8s pod.yaml --pss baseline --pss-version v2', 2, /v2/],
  ['bench k8s pod.yaml --checks bogus', 2, /--checks/],
  ['bench k8s pod.yaml --namespace Not_A_Name', 2, /--namespace/],
  ['bench k8s pod.yaml --no-such-flag', 2, /unknown option/],
  ['bench k8s missing.yaml --format xml', 2, /--format/],
  ['bench k8s', 2, /missing required argument/],
  ['bench dockerfile Dockerfile --format xml', 2, /--format/],
  ['bench dockerfile missing --exit-code 256', 2, /--exit-code/],
  ['bench dockerfile Dockerfile --ignorefile missing.ignore', 2, /missing\.ignore/],
  ['bench image --config-only image-config.json --format xml', 2, /--format/],
  ['bench image --config-only image-config.json --accept-key 1BAD', 2, /--accept-key/],
  ['bench container inspect.json --format xml', 2, /--format/],
  ['bench container inspect.json --exit-code -1', 2, /--exit-code/],
  ['bench node --config cfg --benchmark cis-1.8 --format xml', 2, /--format/],
  ['bench node --config cfg --benchmark cis-1.8 --timeout 0', 2, /--timeout/],
  ['bench node --config cfg --benchmark cis-1.8 --targets bogus', 2, /--targets/],
  ['bench node --config cfg --benchmark cis-9.9', 2, /cis-9\.9/],
  ['bench node --config cfg --version 0.1', 2, /0\.1/],
  ['bench node --config cfg --benchmark cis-1.8 --version 1.27', 2, /either/],
  ['--version extra', 2, /--version/],
  ['runtime replay events.jsonl --rules rules.yaml --match all-of-them', 2, /--match/],
  ['runtime replay events.jsonl', 2, /--rules/],
  ['runtime replay events.jsonl --rules rules.yaml --format xml', 2, /--format "xml"/],
  ['runtime rules validate', 2, /missing required argument/],
  ['runtime nonsense', 2, /unknown command/],
  ['scan', 2, /missing required argument/],
  ['scan rootfs:. --no-such-flag', 2, /unknown option/],
  ['scan rootfs:. --format xml', 2, /--format "xml"/],
  ['run k8s-manifests --input @missing.json', 2, /cannot read --input file missing\.json: no such file or directory/],
  ['token create --team t', 2, /--role/],
  ['token create --team t --role admin --expires soon', 2, /soon/],
  ['nonsense', 2, /unknown command/],
  [`verify ${image} --key k.pub --format xml`, 2, /--format "xml": expected text or json/],
  [`verify ${image} --key k.pub --cert c.pem`, 2, /give one of --key FILE or --cert FILE/],
  [`verify ${image} --notation --trust-policy p.json`, 2, /--notation needs --trust-policy FILE and --trust-store DIR/],
  [`verify-attestation ${image} --key k.pub --format xml`, 2, /--format "xml": expected text or json/],
  [`gate ${archive} --policy policy.yaml --format xml`, 2, /--format "xml": expected text or json/],
  [`gate ${archive}`, 2, /--policy/],
  ['probe --server http://127.0.0.1:9 --format xml', 2, /--format "xml": expected text or json/],
  ['probe --server http://127.0.0.1:9 --timeout soon', 2, /--timeout "soon": expected milliseconds from 1 to 60000/],
  ['probe --server not-a-url', 2, /--server "not-a-url" is not a URL/],
  [`sign ${image} --key k.key --signature-format xml`, 2, /--signature-format "xml": expected legacy or bundle/],
  [`sign ${image} --key k.key --notation`, 2, /--notation needs --cert FILE/],
  [`sign ${image} --key k.key --cert c.pem`, 2, /--cert signs only with --notation/],
  [`sign ${image} --key k.key -a novalue`, 2, /-a "novalue": expected key=value/],
  [`attest ${image} --predicate predicate.json --type cyclonedx --key k.key --signature-format x`, 2, /--signature-format "x"/],
  ['keygen --output-key-prefix keys/', 2, /--output-key-prefix "keys\/"/],
  [`push ${archive} ${image} --chunk-size 10`, 2, /--chunk-size "10"/],
  [`push ./image.tar ${image}`, 2, /the source must be oci:<dir>\[:<ref>\] or docker-archive:<file>/],
  [`pull ${image} ./out`, 2, /the destination must be oci:<dir>/],
  [`pull ${image} oci:out --platform amd64 --all-platforms`, 2, /--platform or --all-platforms, not both/],
  // cluster scan: options are checked before the kubeconfig is read (the run against a cluster: cluster-scan.int-spec.ts).
  ['cluster scan --kubeconfig pod.yaml --format xml', 2, /--format "xml"/],
  ['cluster scan --kubeconfig pod.yaml --exit-code x', 2, /--exit-code "x"/],
  ['cluster scan --kubeconfig pod.yaml --namespace Not_A_Name', 2, /--namespace/],
  ['cluster scan --kubeconfig pod.yaml --pss strict', 2, /strict/],
];

const badInputs: Row[] = [
  ['bench k8s broken.yaml pod.yaml', 1, /broken\.yaml:6/],
  ['bench k8s missing.yaml pod.yaml', 1, /cannot read manifest missing\.yaml: no such file or directory/],
  ['bench dockerfile pod.yaml', 1, /pod\.yaml:1: not a Dockerfile/],
  ['bench dockerfile empty', 1, /empty: not a Dockerfile: the file is empty/],
  ['bench dockerfile Unknown.Dockerfile', 1, /Unknown\.Dockerfile:2: unknown instruction "FOO"/],
  ['bench dockerfile missing Dockerfile', 1, /cannot read Dockerfile missing: no such file or directory/],
  ['bench image --config-only missing.json', 1, /cannot read image config missing\.json: no such file or directory/],
  ['bench image --config-only not-json.json', 1, /not-json\.json/],
  ['bench container missing.json', 1, /cannot read container config missing\.json: no such file or directory/],
  ['bench container not-json.json', 1, /not-json\.json/],
  ['bench node --config no-such-cfg --benchmark cis-1.8', 1, /no-such-cfg/],
  // No Kubernetes here: kube-bench's own words, before any audit runs (not a failed check per unsubstituted $kubeletbin).
  ['bench node --config kcfg --benchmark cis-1.8', 1, /unable to detect running programs for component "kubelet"\nThe following "worker node" programs have been searched, but none of them have been found:\n\t- hyperkube kubelet\n\t- kubelet\nThese program names are provided in the config.yaml, section 'node\.kubelet\.bins'/],
  ['runtime rules validate missing.yaml', 1, /missing\.yaml:1:1: error: cannot read rules file: no such file or directory/],
  ['runtime rules validate bad-rules.yaml', 1, /bad-rules\.yaml/],
  ['runtime replay missing.jsonl --rules rules.yaml', 1, /missing\.jsonl/],
  ['scan rootfs:. --vex missing.vex', 1, /cannot read VEX file missing\.vex: no such file or directory/],
  [`db import missing.zip --cache-dir ${path.join(dir, 'cache')}`, 1, /not imported: missing\.zip: no such file or directory/],
  ['keygen --output-key-prefix existing', 1, /existing\.key already exists: refusing to overwrite it/],
  [`verify ${image} --key missing.pub`, 1, /cannot read key missing\.pub: no such file or directory/],
  [`verify ${image} --cert missing.pem`, 1, /cannot read certificate missing\.pem: no such file or directory/],
  [`verify-attestation ${image} --key missing.pub`, 1, /cannot read key missing\.pub: no such file or directory/],
  [`sign ${image} --key missing.key`, 1, /cannot read key missing\.key: no such file or directory/],
  [`sign ${image} --notation --key missing.pem --cert c.pem`, 1, /cannot read key missing\.pem: no such file or directory/],
  [`attest ${image} --predicate missing.json --type cyclonedx --key k.key`, 1, /cannot read predicate missing\.json: no such file or directory/],
  ['probe --server http://127.0.0.1:9', 1, /cannot reach the Bulkhead API at http:\/\/127\.0\.0\.1:9\/graphql/],
  [`gate ${archive} --policy missing.yaml`, 1, /cannot read --policy file missing\.yaml: no such file or directory/],
  // A misspelt key in a policy is an unparsable input (exit 1), never ignored: it names the file and the key.
  [`gate ${archive} --policy unknown-key.yaml`, 1, /unknown-key\.yaml: \(top level\): unknown key\(s\) maxSeverty/],
  ['cluster scan --kubeconfig missing.yaml', 1, /cannot read kubeconfig missing\.yaml: no such file/],
  ['cluster scan --kubeconfig broken.yaml', 1, /kubeconfig broken\.yaml is not valid YAML/],
];

const clean: Row[] = [
  ['bench k8s pod.yaml', 0],
  ['bench dockerfile Dockerfile', 0],
  ['bench image --config-only image-config.json', 0],
  ['bench container inspect.json', 0],
  ['runtime rules validate rules.yaml', 0],
  ['runtime replay events.jsonl --rules rules.yaml --format text', 0],
  ['keygen --output-key-prefix fresh', 0],
];

describe('exit codes of every command', () => {
  // keygen and sign read the key password from COSIGN_PASSWORD (never a terminal in a test).
  const savedPassword = process.env['COSIGN_PASSWORD'];
  beforeAll(() => {
    process.env['COSIGN_PASSWORD'] = 'exit-codes';
  });
  afterAll(() => {
    if (savedPassword === undefined) delete process.env['COSIGN_PASSWORD'];
    else process.env['COSIGN_PASSWORD'] = savedPassword;
  });

  it.each(usageErrors)('usage error: bulkhead %s -> %i', async (args, code, mentions) => {
    const result = await cli(args.split(' '), dir);
    expect({ code: result.code, err: result.err }).toEqual({ code, err: expect.stringMatching(mentions as RegExp) });
  });

  it.each(badInputs)('unreadable or unparsable input: bulkhead %s -> %i', async (args, code, mentions) => {
    const result = await cli(args.split(' '), dir);
    expect({ code: result.code, text: result.out + result.err }).toEqual({ code, text: expect.stringMatching(mentions as RegExp) });
    // The problem in words, not only the file system's error code.
    if (args.includes('missing')) expect(result.out + result.err).toMatch(/no such file or directory/);
  });

  it.each(clean)('clean input: bulkhead %s -> %i', async (args, code) => {
    const result = await cli(args.split(' '), dir);
    // stderr holds at most notices (replay's summary), never a problem.
    expect({ code: result.code, err: result.err }).toEqual({ code, err: expect.not.stringMatching(/error|cannot|not a/i) });
  });

  it('still checks and reports the other inputs beside one that cannot be parsed', async () => {
    const k8s = await cli(['bench', 'k8s', 'broken.yaml', 'pod.yaml', '--format', 'json'], dir);
    const report = JSON.parse(k8s.out) as { results: { file?: string }[]; errors: { file: string }[] };
    expect(report.results.some((r) => r.file === 'pod.yaml')).toBe(true);
    expect(report.errors.map((e) => e.file)).toEqual(['broken.yaml']);
    const docker = await cli(['bench', 'dockerfile', 'empty', 'Dockerfile', '--format', 'json'], dir);
    const dockerReport = JSON.parse(docker.out) as { results: { file?: string }[]; errors: { file: string }[] };
    expect(docker.code).toBe(1);
    expect(dockerReport.results.some((r) => r.file === 'Dockerfile')).toBe(true);
    expect(dockerReport.errors.map((e) => e.file)).toEqual(['empty']);
  });

  it('gives --exit-code its value when checks fail, and 1 for an unparsable input without failed checks', async () => {
    const failing = await cli(['bench', 'dockerfile', 'Failing.Dockerfile', '--exit-code', '3'], dir);
    expect(failing.out).toMatch(/^FAIL /m);
    expect(failing.code).toBe(3);
    expect((await cli(['bench', 'dockerfile', 'Failing.Dockerfile'], dir)).code).toBe(0);
    expect((await cli(['bench', 'dockerfile', 'Failing.Dockerfile', 'empty'], dir)).code).toBe(1);
    expect((await cli(['bench', 'dockerfile', 'Failing.Dockerfile', 'empty', '--exit-code', '3'], dir)).code).toBe(3);
  });
});

it("names the SDK's plugin kinds in `run --kind`'s help (written out so that --help loads no SDK main entry)", () => {
  expect(HELP_KINDS).toBe(PLUGIN_KINDS.join(', '));
});

it('hides passing checks from bench tables unless --show-passed', async () => {
  const hidden = await cli(['bench', 'dockerfile', 'Dockerfile'], dir);
  expect(hidden.out).not.toMatch(/^PASS /m);
  expect(hidden.out).toMatch(/\d+ passed \(not listed: --show-passed lists them\)/);
  const shown = await cli(['bench', 'dockerfile', 'Dockerfile', '--show-passed'], dir);
  expect(shown.out).toMatch(/^PASS /m);
  const k8s = await cli(['bench', 'k8s', 'pod.yaml', '--show-passed'], dir);
  expect(k8s.out).toMatch(/^PASS /m);
});
