import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithMinbase, describeWithShared, itWithMinbase, testImages } from '@bulkhead/testing';
import { runCli } from './main';

/** Runs the CLI in-process and captures what it prints. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'bulkhead', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('bulkhead scan (inline)', () => {
  const images = testImages();

  it('prints the JSON report of the tiny image in both forms, identically', async () => {
    // An empty cache folder: no advisory database, whatever the user running the tests has.
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'bh-cli-cache-'));
    const archive = await cli('scan', `docker-archive:${images.tinyDockerArchive}`, '--format', 'json', '--cache-dir', cacheDir);
    const layout = await cli('scan', `oci:${images.tinyOciLayout}:${images.tinyOciRef}`, '--format', 'json', '--cache-dir', cacheDir);
    expect(archive.code).toBe(0);
    expect(layout.code).toBe(0);
    const a = JSON.parse(archive.out);
    const b = JSON.parse(layout.out);
    expect(Object.keys(a)).toEqual(['schemaVersion', 'artifact', 'packages', 'findings', 'vulnerabilityScan', 'secretScan', 'summary']);
    // Never a clean result without advisory data: the report says vulnerabilities were not checked.
    expect(a.vulnerabilityScan.status).toBe('no-advisory-data');
    expect(a.artifact.os).toEqual({ family: 'debian', version: '12' });
    expect(a.packages.length).toBeGreaterThan(0);
    // Layers are named by diff_id, so even the attribution is the same for both forms.
    expect(a.packages).toEqual(b.packages);
    expect(a.findings).toEqual([]);
    // One image, one identity: the config digest; the layout adds its manifest digest.
    expect(a.artifact.digest).toBe(b.artifact.digest);
    expect(a.artifact.manifestDigests).toEqual([]);
    expect(b.artifact.manifestDigests).toEqual([images.tinyManifestDigest]);
  });

  itWithMinbase('gives the minbase image the same artifact.digest as OCI layout and as docker-archive', async () => {
    const archive = await cli('scan', `docker-archive:${images.minbaseDockerArchive}`, '--format', 'json');
    const layout = await cli('scan', `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`, '--format', 'json');
    expect([archive.code, layout.code]).toEqual([0, 0]);
    const a = JSON.parse(archive.out) as { artifact: { digest: string; manifestDigests: string[] } };
    const b = JSON.parse(layout.out) as { artifact: { digest: string; manifestDigests: string[] } };
    expect(a.artifact.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(b.artifact.digest).toBe(a.artifact.digest);
    expect(b.artifact.manifestDigests).toEqual([images.minbaseManifestDigest]);
    expect(a.artifact.digest).not.toBe(images.minbaseManifestDigest);
  }, 60_000);

  itWithMinbase('lists exactly the packages dpkg-query lists for the minbase root file system', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-cli-dpkg-'));
    execFileSync('tar', ['-xf', images.minbaseRootfsTar, '-C', dir, './var/lib/dpkg/status']);
    const expected = execFileSync('dpkg-query', [`--admindir=${dir}/var/lib/dpkg`, '-W', '-f', '${Package} ${Version}\n'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .sort();
    const { code, out } = await cli('scan', `docker-archive:${images.minbaseDockerArchive}`, '--format', 'json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as { packages: { name: string; version: string }[] };
    expect(report.packages.map((p) => `${p.name} ${p.version}`).sort()).toEqual(expected);
    expect(expected).toHaveLength(88);
  });

  it('prints a readable table by default', async () => {
    const { code, out } = await cli('scan', `oci:${images.tinyOciLayout}`);
    expect(code).toBe(0);
    expect(out).toMatch(/OS\s+debian 12/);
    expect(out).toMatch(/Packages\s+\d+ \(deb: \d+\)/);
  });

  it('fails with exit code 1 and one line naming the problem for bad input', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-cli-bad-'));
    const truncated = path.join(dir, 'truncated.tar');
    writeFileSync(truncated, readFileSync(images.tinyDockerArchive).subarray(0, 3000));
    const missing = await cli('scan', 'oci:/nonexistent/layout');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('/nonexistent/layout');
    const broken = await cli('scan', `docker-archive:${truncated}`);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/^bulkhead: .*truncated/m);
    expect(broken.err).not.toContain('    at ');
  });

  it('rejects usage errors with exit code 2', async () => {
    expect((await cli('scan')).code).toBe(2);
    expect((await cli('scan', 'rootfs:/', '--format', 'xml')).err).toContain('unknown --format "xml": use one of table, json');
    expect((await cli('scan', 'nope:x')).err).toContain('accepted forms');
    expect((await cli('no-such-command')).code).toBe(2);
  });
});

describeWithShared('bulkhead bench k8s', (shared) => {
  it('prints the PSS JSON shape with upstream check ids and follows --exit-code', async () => {
    const dir = path.join(shared, 'peers/pod-security-admission/testdata/restricted/v1.30/fail');
    const { code, out } = await cli('bench', 'k8s', dir, '--pss', 'restricted', '--pss-version', 'v1.30', '--format', 'json', '--exit-code', '3');
    expect(code).toBe(3);
    const { workloads: results } = JSON.parse(out) as { workloads: { kind: string; pss: { level: string; version: string; allowed: boolean; violations: { check: string }[] } }[] };
    expect(results.length).toBeGreaterThan(50);
    expect(results.every((r) => r.pss.level === 'restricted' && r.pss.version === 'v1.30' && !r.pss.allowed)).toBe(true);
    expect(new Set(results.flatMap((r) => r.pss.violations.map((v) => v.check)))).toContain('allowPrivilegeEscalation');
  });

  it('finds our own Kubernetes manifests restricted-clean', async () => {
    const { code, out } = await cli('bench', 'k8s', path.resolve(__dirname, '../../../docker/kubernetes'), '--pss', 'restricted', '--exit-code', '1');
    expect(out).toContain('0 failed');
    expect(code).toBe(0);
  });
});

describeWithShared('bulkhead runtime', (shared) => {
  const falco = path.join(shared, 'peers/falco');

  it('validates Falco rules files and fails on a broken one with its position', async () => {
    const ok = await cli('runtime', 'rules', 'validate', path.join(falco, 'falco_rules.yaml'));
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('0 error(s)');
    const dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-cli-rules-'));
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, '- rule: r\n  desc: d\n  condition: evt.type = open and (\n  output: o\n  priority: WARNING\n');
    const bad = await cli('runtime', 'rules', 'validate', broken);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(new RegExp(`${broken.replace(/[/.]/g, '\\$&')}:\\d+:\\d+: error`));
  });
});

describeWithMinbase('bulkhead runtime replay --image (drift)', () => {
  const images = testImages();

  /** Alerts come through the host's standard output (so that --output can take them), one JSON object a line. */
  async function replay(...args: string[]): Promise<{ code: number; alerts: { rule: string; output_fields: Record<string, unknown> }[]; err: string }> {
    const { code, err, out } = await cli('runtime', 'replay', ...args);
    return { code, err, alerts: out.trim() === '' ? [] : out.trim().split('\n').map((line) => JSON.parse(line)) };
  }

  it('alerts on execs that are not in the scanned image, in event order', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-cli-drift-'));
    const rules = path.join(dir, 'rules.yaml');
    writeFileSync(rules, '- rule: Shell\n  desc: d\n  condition: evt.type = execve and proc.name = bash\n  output: "shell %proc.name"\n  priority: WARNING\n');
    const exec = (exepath: string, digest: string, time: number) => ({
      'evt.type': 'execve',
      'evt.dir': '<',
      'evt.rawres': 0,
      'evt.rawtime': time,
      'proc.name': path.posix.basename(exepath),
      'proc.exepath': exepath,
      'container.id': 'c0ffee',
      'container.image.digest': digest,
    });
    const minbase = images.minbaseManifestDigest;
    const tiny = images.tinyManifestDigest;
    const events = path.join(dir, 'events.jsonl');
    writeFileSync(
      events,
      [
        exec('/bin/sh', minbase, 1), // in the image (bin -> usr/bin, sh -> dash)
        exec('/usr/bin/bash', minbase, 2), // in the image; the Shell rule still fires
        exec('/tmp/xmrig', minbase, 3), // drift
        exec('/bin/sh', tiny, 4), // the tiny image has no executables at all: drift
        exec('/tmp/xmrig', 'sha256:' + '0'.repeat(64), 5), // unknown image: not judged
      ]
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
    const { code, alerts, err } = await replay('--rules', rules, '--image', `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`, '--image', `oci:${images.tinyOciLayout}`, '--', events);
    expect(code).toBe(0);
    expect(alerts.map((a) => `${a.rule} ${a.output_fields['proc.exepath'] ?? ''} ${a.output_fields['container.image.digest'] ?? ''}`.trim())).toEqual([
      'Shell',
      `Drift Detected /tmp/xmrig ${minbase}`,
      `Drift Detected /bin/sh ${tiny}`,
    ]);
    // Events carry the manifest digest (as Kubernetes reports it); the image id is the config digest.
    expect(err).toMatch(new RegExp(`--image oci:.*minbase.* is sha256:[a-f0-9]{64}, manifest ${minbase} \\(\\d{3,} executables\\)`));
    expect(err).toMatch(new RegExp(`is sha256:[a-f0-9]{64}, manifest ${tiny} \\(0 executables\\)`));
  }, 60_000);

  it('fails with one line naming a bad --image', async () => {
    const { code, err } = await replay('--rules', '/dev/null', '--image', 'oci:/nonexistent/layout', '--', '/dev/null');
    expect(code).toBe(1);
    expect(err).toMatch(/^bulkhead: .*\/nonexistent\/layout/m);
  });
});
