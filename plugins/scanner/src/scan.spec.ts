import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeWithMinbase, testImages, type TestImages } from '@bulkhead/testing';
import { BadInputError, type Analyzer, type ArtifactResult, type FindingResult, type PackageResult, type TaskContext } from '@bulkhead/plugin-sdk';
import { testImageBuilder } from '@bulkhead/oci/testing';
import { buildScanReport, builtinAnalyzers, dpkgAnalyzer, ExecutableCollector, formatScanTable, MAX_EXECUTABLE_PATHS, scanArtifact, scanImageTask, scannerPlugin } from './index';

/** Reports of scans that did not match or look for secrets. */
const NOT_CHECKED = { vulnerabilityScan: { status: 'not-requested' }, secretScan: { status: 'not-requested' } } as const;

let images: TestImages;
let work: string;
beforeAll(() => {
  images = testImages();
  work = mkdtempSync(path.join(tmpdir(), 'bh-scan-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** name + version of every package dpkg itself lists for an admin dir. */
function dpkgQuery(admindir: string): string[] {
  return execFileSync('dpkg-query', [`--admindir=${admindir}`, '-W', '-f=${db:Status-Status} ${Package} ${Version}\n'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.startsWith('installed '))
    .map((line) => line.slice('installed '.length))
    .sort();
}

function nameVersions(packages: readonly PackageResult[]): string[] {
  return packages.map((p) => `${p.name} ${p.version}`).sort();
}

describeWithMinbase('scanning the real test images', () => {
  let minbaseExpected: string[];
  /** The image id the docker-archive form gave: the OCI layout form must give the same. */
  let minbaseImageId = '';
  beforeAll(() => {
    const root = path.join(work, 'minbase-rootfs');
    execFileSync('mkdir', ['-p', root]);
    execFileSync('tar', ['-xf', images.minbaseRootfsTar, '-C', root, './var/lib/dpkg', './etc/os-release', './usr/lib/os-release', './etc/debian_version']);
    minbaseExpected = dpkgQuery(path.join(root, 'var/lib/dpkg'));
  });

  it('lists exactly the packages dpkg-query lists for the minbase rootfs (docker-archive)', async () => {
    const result = await scanArtifact(`docker-archive:${images.minbaseDockerArchive}`, { analyzers: builtinAnalyzers });
    expect(minbaseExpected).toHaveLength(88);
    expect(nameVersions(result.packages)).toEqual(minbaseExpected);
    expect(result.artifact.os).toMatchObject({ family: 'debian', version: '12' });
    expect(result.artifact.references).toContain('docker.io/test/minbase:bookworm');
    const [layer] = result.artifact.layers;
    expect(result.packages.every((p) => p.layer === layer?.digest)).toBe(true);
    // A legacy docker-archive has no manifest: the image id is its config digest, nothing else.
    expect(result.artifact.digest).toBe(result.artifact.metadata?.['configDigest']);
    expect(result.artifact.manifestDigests).toBeUndefined();
    minbaseImageId = result.artifact.digest;
    expect(result.packages.find((p) => p.name === 'bsdutils')?.purl).toMatch(/^pkg:deb\/debian\/bsdutils@1:[^?]+\?arch=amd64&distro=debian-12$/);
  }, 60_000);

  it('gives the same inventory and image id for the OCI layout, which adds its manifest digest', async () => {
    const result = await scanArtifact(`oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`, { analyzers: builtinAnalyzers });
    expect(minbaseImageId).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(result.artifact.digest).toBe(minbaseImageId);
    expect(result.artifact.manifestDigests).toEqual([images.minbaseManifestDigest]);
    expect(nameVersions(result.packages)).toEqual(minbaseExpected);
    expect(result.artifact.os).toMatchObject({ family: 'debian', version: '12' });
  }, 60_000);

  it('scans the extracted root file system with a stable content digest', async () => {
    const root = path.join(work, 'minbase-rootfs');
    const first = await scanArtifact(`rootfs:${root}`, { analyzers: builtinAnalyzers });
    const second = await scanArtifact(`rootfs:${root}`, { analyzers: builtinAnalyzers });
    expect(nameVersions(first.packages)).toEqual(minbaseExpected);
    expect(first.artifact.os).toMatchObject({ family: 'debian', version: '12' });
    expect(first.artifact.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(second.artifact.digest).toBe(first.artifact.digest);
    expect(first.packages.every((p) => p.layer === undefined)).toBe(true);
  }, 60_000);

  it.each(['oci', 'docker-archive'] as const)('scans the tiny image (%s form)', async (form) => {
    const reference = form === 'oci' ? `oci:${images.tinyOciLayout}:${images.tinyOciRef}` : `docker-archive:${images.tinyDockerArchive}`;
    const admin = path.join(work, 'tiny-dpkg');
    execFileSync('mkdir', ['-p', admin]);
    execFileSync('bash', ['-c', `tar -xOf "$1" "$(tar -tf "$1" | grep -E '^[a-f0-9]{64}\\.tar$')" | tar -xO var/lib/dpkg/status > "$2/status"`, '_', images.tinyDockerArchive, admin]);
    const result = await scanArtifact(reference, { analyzers: builtinAnalyzers });
    expect(nameVersions(result.packages)).toEqual(dpkgQuery(admin));
    expect(result.packages.length).toBeGreaterThan(0);
    expect(result.artifact.os).toMatchObject({ family: 'debian', version: '12' });
    expect(result.artifact.digest).toBe(result.artifact.metadata?.['configDigest']);
    if (form === 'oci') expect(result.artifact.manifestDigests).toEqual([images.tinyManifestDigest]);
  });
});

const executablesOf = (artifact: ArtifactResult): string[] => artifact.metadata?.['executables'] as string[];

describeWithMinbase('executables of the minbase image', () => {
  it.each(['oci', 'docker-archive'] as const)('records the executables of the minbase image (%s form), symlinks and merged-usr paths included', async (form) => {
    const reference = form === 'oci' ? `oci:${images.minbaseOciLayout}:${images.minbaseOciRef}` : `docker-archive:${images.minbaseDockerArchive}`;
    const { artifact } = await scanArtifact(reference, { analyzers: builtinAnalyzers });
    const executables = executablesOf(artifact);
    expect(artifact.metadata?.['executableCount']).toBe(executables.length);
    expect(executables.length).toBeGreaterThan(100);
    expect(executables).toEqual([...executables].sort());
    // a regular file; a symlink to it (sh -> dash); both again through `bin -> usr/bin`
    expect(executables).toEqual(expect.arrayContaining(['/usr/bin/dash', '/usr/bin/sh', '/bin/dash', '/bin/sh', '/usr/bin/awk', '/bin/awk']));
    // `/usr/bin/awk -> /etc/alternatives/awk -> /usr/bin/mawk`: a chain of absolute links
    expect(executables).toContain('/etc/alternatives/awk');
    // not executable, or not a file
    expect(executables).not.toContain('/etc/os-release');
    expect(executables).not.toContain('/usr/bin');
    expect(executables).not.toContain('/bin');
  }, 60_000);

  it('records the same executables for the extracted root file system', async () => {
    const root = path.join(work, 'minbase-full');
    execFileSync('mkdir', ['-p', root]);
    execFileSync('tar', ['-xf', images.minbaseRootfsTar, '-C', root]);
    const fromRootfs = await scanArtifact(`rootfs:${root}`, { analyzers: builtinAnalyzers });
    const fromImage = await scanArtifact(`oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`, { analyzers: builtinAnalyzers });
    expect(executablesOf(fromRootfs.artifact)).toEqual(executablesOf(fromImage.artifact));
  }, 60_000);

  it('keeps executables out of the JSON report', async () => {
    const result = await scanArtifact(`oci:${images.minbaseOciLayout}:${images.minbaseOciRef}`, { analyzers: builtinAnalyzers });
    expect(JSON.stringify(buildScanReport({ ...result, ...NOT_CHECKED }))).not.toContain('/usr/bin/dash');
  }, 60_000);
});

describe('executables', () => {
  it('records an empty list for the tiny image, which holds no executable file', async () => {
    const { artifact } = await scanArtifact(`oci:${images.tinyOciLayout}`, { analyzers: builtinAnalyzers });
    expect(artifact.metadata).toMatchObject({ executables: [], executableCount: 0 });
  });

  it('follows layered changes: whiteouts, replaced links, self-referencing directory links, loops', async () => {
    const layout = path.join(work, 'exec-layers');
    await testImageBuilder.writeOciLayout(layout, [
      {
        layers: [
          {
            entries: [
              { name: 'usr/bin/', type: 'directory' },
              { name: 'usr/bin/tool', content: 'x', mode: 0o755 },
              { name: 'usr/bin/gone', content: 'x', mode: 0o755 },
              { name: 'usr/bin/data', content: 'x', mode: 0o644 },
              { name: 'usr/bin/X11', type: 'symlink', linkname: '.' },
              { name: 'bin', type: 'symlink', linkname: 'usr/bin' },
              { name: 'loop', type: 'symlink', linkname: 'loop' },
              { name: 'opt/run', type: 'symlink', linkname: '/usr/bin/data' },
            ],
          },
          { entries: [{ name: 'usr/bin/.wh.gone' }, { name: 'usr/bin/group-exec', content: 'x', mode: 0o610 }, { name: 'usr/bin/hard', type: 'link', linkname: 'usr/bin/tool' }] },
        ],
      },
    ]);
    const { artifact } = await scanArtifact(`oci:${layout}`, { analyzers: builtinAnalyzers });
    const bases = ['group-exec', 'hard', 'tool'];
    expect(executablesOf(artifact)).toEqual(
      [...bases.flatMap((b) => [`/usr/bin/${b}`, `/usr/bin/X11/${b}`, `/bin/${b}`, `/bin/X11/${b}`])].sort(),
    );
  });

  it('applies each directory alias at most once per path', () => {
    const collector = new ExecutableCollector();
    collector.add({ path: 'a', type: 'symlink', mode: 0o777, size: 0, linkTarget: '.' });
    collector.add({ path: 'b', type: 'symlink', mode: 0o777, size: 0, linkTarget: '.' });
    collector.add({ path: 'x', type: 'file', mode: 0o755, size: 1 });
    // root aliases apply once each: x, a/x, b/x, a/b/x, b/a/x
    expect(collector.result()).toEqual({ executables: ['/a/b/x', '/a/x', '/b/a/x', '/b/x', '/x'], warnings: [] });
  });

  it('stops at the cap with a warning when aliases multiply paths', () => {
    const collector = new ExecutableCollector();
    for (let i = 0; i < 10; i++) collector.add({ path: `l${i}`, type: 'symlink', mode: 0o777, size: 0, linkTarget: '/' });
    collector.add({ path: 'x', type: 'file', mode: 0o755, size: 1 });
    const { executables, warnings } = collector.result();
    expect(executables).toHaveLength(MAX_EXECUTABLE_PATHS);
    expect(warnings).toEqual([`more than ${MAX_EXECUTABLE_PATHS} executable paths (counting symlinked directories): the rest are left out`]);
  });
});

describe('layer attribution', () => {
  it('credits each package version to the layer that introduced it', async () => {
    const stanza = (name: string, version: string): string => `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n`;
    const osRelease = { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' };
    const layout = path.join(work, 'layered');
    await testImageBuilder.writeOciLayout(layout, [
      {
        layers: [
          { entries: [osRelease, { name: 'var/lib/dpkg/status', content: [stanza('base', '1.0'), stanza('libfoo', '1.0')].join('\n') }] },
          { entries: [{ name: 'app/bin', content: 'x' }], compression: 'zstd' },
          { entries: [{ name: 'var/lib/dpkg/status', content: [stanza('base', '1.0'), stanza('libfoo', '1.1'), stanza('curl', '7.88')].join('\n') }], compression: 'none' },
        ],
      },
    ]);
    const result = await scanArtifact(`oci:${layout}`, { analyzers: builtinAnalyzers });
    const layers = result.artifact.layers.map((l) => l.diffId ?? l.digest);
    const layerOf = Object.fromEntries(result.packages.map((p) => [`${p.name}@${p.version}`, p.layer]));
    expect(layerOf).toEqual({ 'base@1.0': layers[0], 'libfoo@1.1': layers[2], 'curl@7.88': layers[2] });
  });
});

describe('layer attribution after removal', () => {
  it('credits a package removed and reinstalled to the reinstalling layer', async () => {
    const stanza = (name: string, version: string): string => `Package: ${name}\nStatus: install ok installed\nVersion: ${version}\n`;
    const layout = path.join(work, 'reinstalled');
    await testImageBuilder.writeOciLayout(layout, [
      {
        layers: [
          { entries: [{ name: 'var/lib/dpkg/status', content: [stanza('base', '1.0'), stanza('tool', '2.0')].join('\n') }] },
          { entries: [{ name: 'var/lib/dpkg/status', content: stanza('base', '1.0') }] },
          { entries: [{ name: 'var/lib/dpkg/status', content: [stanza('base', '1.0'), stanza('tool', '2.0')].join('\n') }, { name: 'usr/bin/tool', content: 'bin' }] },
        ],
      },
    ]);
    const result = await scanArtifact(`oci:${layout}`, { analyzers: builtinAnalyzers });
    const layers = result.artifact.layers.map((l) => l.diffId ?? l.digest);
    expect(new Set(layers).size).toBe(3);
    expect(Object.fromEntries(result.packages.map((p) => [p.name, p.layer]))).toEqual({ base: layers[0], tool: layers[2] });
  });
});

describe('scan-image task', () => {
  function fakeContext(extra: Analyzer[] = []) {
    const emitted: { artifact?: ArtifactResult; packages?: { digest: string; list: readonly PackageResult[] }; findings?: readonly FindingResult[] } = {};
    const progress: number[] = [];
    const ctx: TaskContext = {
      taskId: 'test',
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => ctx.logger },
      signal: new AbortController().signal,
      workDir: work,
      emit: {
        artifact: async (a) => void (emitted.artifact = a),
        packages: async (digest, list) => void (emitted.packages = { digest, list }),
        findings: async (f) => void (emitted.findings = f),
      },
      progress: (fraction) => void progress.push(fraction),
      extensions: ((point: string) => (point === 'scanner.analyzer' ? extra : [])) as TaskContext['extensions'],
    };
    return { ctx, emitted, progress };
  }

  const task = scanImageTask;

  it('declares the scanner manifest', () => {
    expect(scannerPlugin.tasks).toContain(scanImageTask);
    expect(scannerPlugin.manifest).toMatchObject({ id: 'bulkhead.scanner', kind: 'scanner', phases: ['build'] });
    expect(task.input.safeParse({ source: 'oci:/x' }).success).toBe(true);
    expect(task.input.safeParse({}).success).toBe(false);
  });

  it('emits artifact, packages and findings (from extension analyzers) and returns a summary', async () => {
    const secrets: Analyzer = {
      id: 'test-hello',
      version: '1.0.0',
      stage: 'other',
      wants: (p) => p === 'hello.txt',
      analyze: (files, ctx) => ({
        findings: files.map((f) => ({ kind: 'scanner' as const, severity: 'INFO' as const, ruleId: 'hello', title: f.content.toString().trim(), target: ctx.artifactDigest, location: f.path })),
      }),
    };
    const { ctx, emitted, progress } = fakeContext([secrets]);
    const summary = await task.run(task.input.parse({ source: `oci:${images.tinyOciLayout}`, cacheDir: path.join(work, 'empty-cache') }), ctx);
    const imageId = emitted.artifact?.metadata?.['configDigest'];
    expect(imageId).toMatch(/^sha256:[a-f0-9]{64}$/);
    const database = path.join(work, 'empty-cache', 'vulndb', 'advisories.sqlite');
    expect(summary).toEqual({
      digest: imageId,
      os: { family: 'debian', version: '12' },
      packageCount: emitted.packages?.list.length,
      // No advisory database: said plainly, never an empty "clean" result.
      vulnerabilityScan: { status: 'no-advisory-data', database, message: `no advisory database at ${database} — run \`bulkhead db import\` or \`bulkhead db update\`` },
      secretScan: { status: 'checked' },
      vulnerabilityCount: 0,
      secretCount: 0,
    });
    expect(emitted.artifact).toMatchObject({ digest: imageId, manifestDigests: [images.tinyManifestDigest] });
    expect(emitted.packages?.digest).toBe(imageId);
    expect(emitted.findings).toEqual([expect.objectContaining({ ruleId: 'hello', target: imageId, location: 'hello.txt' })]);
    expect(progress.at(-1)).toBe(1);
  });

  it('fails with a BadInputError for a missing image', async () => {
    const { ctx } = fakeContext();
    await expect(task.run(task.input.parse({ source: `docker-archive:${path.join(work, 'nope.tar')}` }), ctx)).rejects.toThrow(BadInputError);
  });

  it('refuses an extension analyzer that reuses a built-in id', async () => {
    const { ctx } = fakeContext([{ ...dpkgAnalyzer }]);
    await expect(task.run(task.input.parse({ source: `oci:${images.tinyOciLayout}` }), ctx)).rejects.toThrow('scanner analyzer id dpkg is registered twice');
  });
});

describe('report', () => {
  it('builds the deterministic JSON report and a readable table', async () => {
    const result = await scanArtifact(`oci:${images.tinyOciLayout}`, { analyzers: builtinAnalyzers });
    const report = buildScanReport({ artifact: result.artifact, packages: [...result.packages].reverse(), findings: [], ...NOT_CHECKED });
    expect(Object.keys(report)).toEqual(['schemaVersion', 'artifact', 'packages', 'findings', 'vulnerabilityScan', 'secretScan', 'summary']);
    expect(report.schemaVersion).toBe(1);
    expect(report.artifact).toMatchObject({ digest: result.artifact.digest, manifestDigests: [images.tinyManifestDigest], os: { family: 'debian', version: '12' } });
    expect(Object.keys(report.artifact)).toEqual(['digest', 'manifestDigests', 'os', 'references', 'size', 'layers']);
    expect(Object.keys(report.packages[0] ?? {})).toEqual(['type', 'name', 'version', 'sourceName', 'sourceVersion', 'purl', 'layer', 'path']);
    const names = report.packages.map((p) => p.name);
    expect(names).toEqual([...names].sort());
    expect(JSON.stringify(buildScanReport({ artifact: result.artifact, packages: result.packages, findings: [], ...NOT_CHECKED }))).toBe(JSON.stringify(report));
    const table = formatScanTable(report, { listPackages: true });
    expect(table).toMatch(new RegExp(`Artifact +${result.artifact.digest}`));
    expect(table).toMatch(new RegExp(`Manifests +${images.tinyManifestDigest}`));
    expect(table).toMatch(/OS +debian 12/);
    expect(table).toMatch(new RegExp(`Packages +${report.packages.length} \\(deb: ${report.packages.length}\\)`));
    expect(table).toMatch(/TYPE\s+NAME\s+VERSION\s+SOURCE\s+LAYER/);
    expect(table).toMatch(/Vulnerabilities +not checked: not requested \(--scanners\)/);
    expect(formatScanTable(report)).not.toMatch(/TYPE\s+NAME/);
  });
});
