import { readFileSync } from 'node:fs';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { sharedPath } from '@bulkhead/testing';
import { BUILDINFO_MAGIC, decodeBuildInfo, ldflagsVersion } from './buildinfo';
import { elf64, elf64Symbols, elf64WithSection, macho64WithSection } from './executables.fixture';
import { goBinaryAnalyzer, goModAnalyzer } from './index';
import { parseGoMod } from './go-mod';
import { isExecutableCandidate } from './executable-paths';
import { readObjectFile } from './object-file';

const ctx = { artifactDigest: 'sha256:test' };

/** A Go 1.18+ build info blob: header, then uvarint-length version and sentinel-wrapped modinfo. */
function buildInfoBlob(goVersion: string, modinfo: string): Buffer {
  const header = Buffer.alloc(32);
  BUILDINFO_MAGIC.copy(header);
  header[14] = 8;
  header[15] = 2;
  const sentinel = Buffer.alloc(16, 0x5a);
  const str = (b: Buffer): Buffer => {
    const len: number[] = [];
    let n = b.length;
    while (n >= 0x80) {
      len.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    len.push(n);
    return Buffer.concat([Buffer.from(len), b]);
  };
  return Buffer.concat([header, str(Buffer.from(goVersion)), str(Buffer.concat([sentinel, Buffer.from(modinfo), sentinel]))]);
}

const MODINFO = [
  'path\texample.com/app/cmd/app',
  'mod\texample.com/app\t(devel)\t',
  'dep\tgithub.com/pkg/errors\tv0.9.1\th1:x=',
  'dep\tgolang.org/x/text\tv0.3.0\th1:y=',
  '=>\tgolang.org/x/text\tv0.3.8\th1:z=',
  'build\t-ldflags="-s -w -X main.version=1.4.2"',
  '',
].join('\n');

describe('Go binary analyzer', () => {
  it('reads the build info of an ELF executable: stdlib, replaced deps, ldflags version', async () => {
    const binary = elf64WithSection('.go.buildinfo', buildInfoBlob('go1.21.5', MODINFO));
    const result = await goBinaryAnalyzer.analyze([{ path: 'usr/local/bin/app', content: binary, layer: 'sha256:l1' }], ctx);
    expect(result.packages?.map((p) => [p.name, p.version, p.metadata?.['relationship']])).toEqual([
      ['example.com/app', '1.4.2', 'root'],
      ['github.com/pkg/errors', 'v0.9.1', 'unknown'],
      ['golang.org/x/text', 'v0.3.8', 'unknown'],
      ['stdlib', 'v1.21.5', 'direct'],
    ]);
    expect(result.packages?.[1]).toMatchObject({ type: 'golang', purl: 'pkg:golang/github.com/pkg/errors@v0.9.1', path: 'usr/local/bin/app', layer: 'sha256:l1' });
  });

  it('reads big-endian ELF and Mach-O executables', async () => {
    const blob = buildInfoBlob('go1.20.6', 'path\tgo.etcd.io/bbolt/cmd/bbolt\nmod\tgo.etcd.io/bbolt\tv1.3.5\th1:x=\n');
    for (const content of [elf64WithSection('.go.buildinfo', blob, { bigEndian: true }), macho64WithSection('__go_buildinfo', blob)]) {
      const result = await goBinaryAnalyzer.analyze([{ path: 'bbolt', content }], ctx);
      expect(result.packages?.map((p) => `${p.name}@${p.version}`)).toEqual(['go.etcd.io/bbolt@v1.3.5', 'stdlib@v1.20.6']);
    }
  });

  it('finds the magic by searching the data section when it is not the first thing there', async () => {
    const blob = Buffer.concat([Buffer.alloc(48, 1), buildInfoBlob('go1.22.0', 'path\tx\nmod\tx\tv1.0.0\t\n')]);
    const result = await goBinaryAnalyzer.analyze([{ path: 'app/x', content: elf64WithSection('.go.buildinfo', blob) }], ctx);
    expect(result.packages?.map((p) => p.name)).toEqual(['stdlib', 'x']);
  });

  it('reads a file reached through two paths once, ignores non-Go files and skips corrupt ones', async () => {
    const binary = elf64WithSection('.go.buildinfo', buildInfoBlob('go1.21.5', MODINFO));
    const notGo = elf64WithSection('.data', Buffer.alloc(64));
    const truncated = binary.subarray(0, 200);
    const result = await goBinaryAnalyzer.analyze(
      [
        { path: 'usr/bin/app', content: binary },
        { path: 'usr/local/bin/app', content: binary },
        { path: 'usr/bin/ls', content: notGo },
        { path: 'usr/bin/script', content: Buffer.from('#!/bin/sh\necho hi\n'.repeat(8)) },
        { path: 'usr/bin/broken', content: truncated },
      ],
      ctx,
    );
    expect(result.packages?.map((p) => `${p.path}:${p.name}`)).toEqual(['usr/bin/app:example.com/app', 'usr/bin/app:github.com/pkg/errors', 'usr/bin/app:golang.org/x/text', 'usr/bin/app:stdlib']);
  });

  it('reads the pre-1.18 pointer format through the executable address map', async () => {
    // Go <= 1.17: two pointers to Go string headers (pointer, length) instead of inline strings.
    const addr = 0x500000n;
    const version = Buffer.from('go1.16.15');
    const modinfo = Buffer.concat([Buffer.alloc(16, 0x30), Buffer.from('path\tx/cmd\nmod\tx\tv1.2.3\t\ndep\ty\tv0.1.0\t\n'), Buffer.alloc(16, 0x31)]);
    const data = Buffer.alloc(32 + 32 + version.length + modinfo.length);
    BUILDINFO_MAGIC.copy(data);
    data[14] = 8;
    data[15] = 0; // little-endian, pointer format
    data.writeBigUInt64LE(addr + 32n, 16);
    data.writeBigUInt64LE(addr + 48n, 24);
    data.writeBigUInt64LE(addr + 64n, 32);
    data.writeBigUInt64LE(BigInt(version.length), 40);
    data.writeBigUInt64LE(addr + 64n + BigInt(version.length), 48);
    data.writeBigUInt64LE(BigInt(modinfo.length), 56);
    version.copy(data, 64);
    modinfo.copy(data, 64 + version.length);
    const result = await goBinaryAnalyzer.analyze([{ path: 'usr/local/bin/old', content: elf64WithSection('.go.buildinfo', data, { addr }) }], ctx);
    expect(result.packages?.map((p) => `${p.name}@${p.version}`)).toEqual(['stdlib@v1.16.15', 'x@v1.2.3', 'y@v0.1.0']);
    expect(() => decodeBuildInfo(data, 'old')).toThrow('old: pre-1.18 Go build info needs the executable to resolve its pointers');
  });

  it('falls back to `-X` version symbols of the ELF symbol table (-trimpath builds)', async () => {
    const blob = buildInfoBlob('go1.22.1', 'path\tgithub.com/aquasecurity/test\nmod\tgithub.com/aquasecurity/test\t(devel)\t\nbuild\t-trimpath=true\n');
    const rodata = Buffer.from('v1.0.0\0xxxxinvalid-version\0');
    // Sections: 1 .go.buildinfo, 2 .rodata, 3 .symtab, 4 .strtab.
    const { symtab, strtab } = elf64Symbols([
      { name: 'main.version.str', value: 0x600000n, size: 6, section: 2 },
      { name: 'main.commit.str', value: 0x600007n, size: 4, section: 2 },
      { name: 'other.Version.str', value: 0x60000bn, size: 15, section: 2 },
    ]);
    const binary = elf64([
      { name: '.go.buildinfo', data: blob, addr: 0x401000n },
      { name: '.rodata', data: rodata, addr: 0x600000n },
      { name: '.symtab', type: 2, data: symtab, link: 4, entsize: 24 },
      { name: '.strtab', type: 3, data: strtab },
    ]);
    const result = await goBinaryAnalyzer.analyze([{ path: 'usr/local/bin/test', content: binary }], ctx);
    expect(result.packages?.map((p) => `${p.name}@${p.version}`)).toEqual(['github.com/aquasecurity/test@v1.0.0', 'stdlib@v1.22.1']);
  });

  it('skips programs an OS package installed (dpkg lists, merged /usr, apk), as Trivy does', async () => {
    const binary = (): Buffer => elf64WithSection('.go.buildinfo', buildInfoBlob('go1.19.8', 'path\tx\nmod\tx\tv1.0.0\t\n'));
    const files = [
      { path: 'usr/bin/direnv', content: binary() },
      { path: 'usr/bin/oldtool', content: binary() },
      { path: 'usr/sbin/apk-tool', content: binary() },
      { path: 'usr/local/bin/mine', content: binary() },
      { path: 'var/lib/dpkg/info/direnv.list', content: Buffer.from('/.\n/usr\n/usr/bin\n/usr/bin/direnv\n') },
      { path: 'var/lib/dpkg/info/old:amd64.list', content: Buffer.from('/bin/oldtool\n') },
      { path: 'lib/apk/db/installed', content: Buffer.from('P:tool\nV:1\nF:usr/sbin\nR:apk-tool\n\n') },
    ];
    expect(files.map((f) => goBinaryAnalyzer.wants(f.path))).toEqual([true, true, true, true, true, true, true]);
    const result = await goBinaryAnalyzer.analyze(files, ctx);
    expect([...new Set(result.packages?.map((p) => p.path))]).toEqual(['usr/local/bin/mine']);
    expect(goBinaryAnalyzer.wants('var/lib/dpkg/info/direnv.md5sums')).toBe(false);
  });

  it('reads each program once across the per-layer calls, giving fresh results each time', async () => {
    const content = elf64WithSection('.go.buildinfo', buildInfoBlob('go1.21.5', MODINFO));
    const first = await goBinaryAnalyzer.analyze([{ path: 'usr/local/bin/app', content }], ctx);
    content.fill(0); // the scanner never does this; here it shows the bytes are not parsed again
    const second = await goBinaryAnalyzer.analyze([{ path: 'usr/local/bin/app', content }], ctx);
    expect(second.packages).toEqual(first.packages);
    expect(second.packages?.[0]).not.toBe(first.packages?.[0]);
    const other = await goBinaryAnalyzer.analyze([{ path: 'usr/local/bin/app', content: Buffer.from(content) }], ctx);
    expect(other.packages).toEqual([]);
  });

  it('refuses headers that point outside the file with a BadInputError naming it', () => {
    const binary = elf64WithSection('.go.buildinfo', buildInfoBlob('go1.21.5', MODINFO));
    binary.writeBigUInt64LE(0xffffffn, 0x28); // e_shoff far past the end
    expect(() => readObjectFile(binary, 'usr/bin/evil')).toThrow(new BadInputError(`usr/bin/evil: truncated executable (read of 4 bytes at offset 16777219, file is ${binary.length} bytes)`));
    const blob = buildInfoBlob('go1.21.5', MODINFO);
    expect(() => decodeBuildInfo(blob.subarray(0, 40), 'x')).toThrow(/runs past the data/);
  });

  it('asks for programs in bin and application directories only', () => {
    for (const yes of ['usr/local/bin/kubectl', 'bin/registry', 'usr/bin/caddy', 'manager', 'app/server', 'ko-app/controller', 'go/bin/dlv', 'home/dev/go/bin/gopls', 'opt/bitnami/kubectl/bin/kubectl', 'opt/app/server', 'usr/bin/python3.11', 'app/tool.exe']) {
      expect([yes, isExecutableCandidate(yes)]).toEqual([yes, true]);
    }
    for (const no of ['usr/lib/x86_64-linux-gnu/libc.so.6', 'usr/share/doc/x/copyright', 'etc/passwd', 'usr/bin/.hidden', 'usr/local/bin/tool.sh', 'app/config.json', 'usr/lib/go/bin/go', 'usr/bin/sub/dir/tool', 'README.md']) {
      expect([no, isExecutableCandidate(no)]).toEqual([no, false]);
    }
  });
});

describe('-ldflags version (Trivy ParseLDFlags)', () => {
  it.each([
    ['-s -w -X main.version=1.0.0', '1.0.0'],
    ["-X='main.version=v1.2.3'", 'v1.2.3'],
    ['-X github.com/x/app/cmd/app/version.Version=2.0.0 -X main.version=1.0.0', '2.0.0'],
    ['-X main.version=1.0.0 -X common.version=1.1.0', ''],
    ['-X github.com/x/other/pkg.Version=3.0.0', '3.0.0'],
    ['-X main.version=not-a-version', ''],
    ['-linkmode external -X main.commit=abc', ''],
    ['-X "main.version=1.0.0', ''],
  ])('%s → %s', (flags, want) => {
    expect(ldflagsVersion('github.com/x/app', flags)).toBe(want);
  });
});

describe('go.mod analyzer', () => {
  it('adds go.sum modules as indirect for go < 1.17 modules only', async () => {
    const mod116 = Buffer.from('module example.com/a\n\ngo 1.16\n\nrequire github.com/pkg/errors v0.9.1\n');
    const mod121 = Buffer.from('module example.com/b\n\ngo 1.21\n\nrequire github.com/pkg/errors v0.9.1\n');
    const sum = Buffer.from('github.com/pkg/errors v0.9.1 h1:x=\ngolang.org/x/text v0.3.0/go.mod h1:y=\ngolang.org/x/text v0.3.7 h1:z=\n');
    const result = await goModAnalyzer.analyze(
      [
        { path: 'src/a/go.mod', content: mod116 },
        { path: 'src/a/go.sum', content: sum },
        { path: 'src/b/go.mod', content: mod121 },
        { path: 'src/b/go.sum', content: sum },
      ],
      ctx,
    );
    expect(result.packages?.map((p) => `${p.path} ${p.name}@${p.version} ${String(p.metadata?.['relationship'])}`)).toEqual([
      'src/a/go.mod github.com/pkg/errors@v0.9.1 direct',
      'src/a/go.mod golang.org/x/text@v0.3.7 indirect',
      'src/b/go.mod github.com/pkg/errors@v0.9.1 direct',
    ]);
    expect(['go.mod', 'x/go.sum', 'x/go.mod.bak'].map(goModAnalyzer.wants)).toEqual([true, true, false]);
  });

  it('skips a malformed go.mod and names the line in the parser error', async () => {
    const bad = 'module example.com/a\nrequire (\n  github.com/x/y\n)\n';
    expect(() => parseGoMod(bad, 'app/go.mod')).toThrow(new BadInputError('app/go.mod:3: usage: require module/path v1.2.3'));
    expect(() => parseGoMod('module a\nrequire (\n', 'go.mod')).toThrow(/unterminated require/);
    const result = await goModAnalyzer.analyze([{ path: 'go.mod', content: Buffer.from(bad) }], ctx);
    expect(result.packages).toEqual([]);
  });

  it('handles quoted paths, comments and a replace block', () => {
    const text = 'module "example.com/q" // the module\ngo 1.21\nrequire (\n\t"github.com/a/b" v1.0.0 // indirect; reason\n\tgithub.com/c/d v2.0.0+incompatible\n)\nreplace (\n\tgithub.com/c/d => github.com/e/d v2.1.0+incompatible\n)\n';
    expect(parseGoMod(text, 'go.mod').map((m) => `${m.name}@${m.version}:${m.relationship}`)).toEqual([
      'example.com/q@:root',
      'github.com/a/b@v1.0.0:indirect',
      'github.com/e/d@v2.1.0+incompatible:direct',
    ]);
  });
});

// The extracted sections of Trivy's Go binaries are also real build info blobs: wrap one in an ELF.
const blobPath = sharedPath('peers/trivy/pkg/dependency/parser/golang/binary/testdata/semver-main-module-version.macho.go-buildinfo.bin');
(blobPath ? it : it.skip)('reads a real Go build info section wrapped in an ELF', async () => {
  const blob = readFileSync(blobPath ?? '');
  const result = await goBinaryAnalyzer.analyze([{ path: 'usr/local/bin/bbolt', content: elf64WithSection('.go.buildinfo', blob) }], ctx);
  expect(result.packages?.map((p) => p.purl)).toEqual(['pkg:golang/go.etcd.io/bbolt@v1.3.5', 'pkg:golang/stdlib@v1.20.6']);
});
