import { readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { describeWithShared } from '@bulkhead/testing';
import { elf64WithSection, macho64WithSection } from '../golang/executables.fixture';
import { expectedFiles, readCases, sortedBy, type TrivyCase, type TrivyDependency, type TrivyPackage } from '../golang/test-helpers';
import { parseAuditableSection } from './auditable';
import { parseCargoLock } from './cargo-lock';
import type { Crate } from './crate';
import { rustBinaryAnalyzer } from './index';

function trivyShape(crates: readonly Crate[]): { pkgs: TrivyPackage[]; deps: TrivyDependency[] } {
  return {
    pkgs: crates.map((c) => ({
      ID: c.id,
      Name: c.name,
      Version: c.version,
      ...(c.relationship ? { Relationship: c.relationship } : {}),
      ...(c.location ? { Locations: [{ StartLine: c.location.startLine, EndLine: c.location.endLine }] } : {}),
    })),
    deps: crates.filter((c) => c.dependsOn).map((c) => ({ ID: c.id, DependsOn: c.dependsOn ?? [] })),
  };
}

const byId = (p: { ID?: string; Name: string }): string => p.ID ?? p.Name;

describeWithShared('Rust parsers against trivy testdata', (shared) => {
  const root = path.join(shared, 'peers/trivy/pkg/dependency/parser/rust');
  const cases = expectedFiles(root).flatMap((file) => readCases(path.join(root, file)).map((c): [string, TrivyCase] => [file, c]));

  it('finds every expectation file', () => expect(cases).toHaveLength(5));

  it.each(cases)('%s', (file, c) => {
    const input = path.join(root, path.dirname(file), path.basename(file, '.expected.json'));
    const content = readFileSync(input);
    if (file.startsWith('binary/')) {
      const got = trivyShape(parseAuditableSection(content, input));
      expect(got.pkgs).toEqual(c.expected['want']);
      expect(got.deps).toEqual(c.expected['wantDeps']);
      return;
    }
    if (c.expected['wantErr'] === 'assert.Error') {
      expect(() => parseCargoLock(content.toString('utf8'), 'cargo_invalid.lock')).toThrow(BadInputError);
      expect(() => parseCargoLock(content.toString('utf8'), 'cargo_invalid.lock')).toThrow(/^cargo_invalid\.lock:10:\d+: invalid TOML/);
      return;
    }
    const got = trivyShape(parseCargoLock(content.toString('utf8'), input));
    // Trivy's test sorts packages and dependencies before comparing.
    expect(sortedBy(got.pkgs, byId)).toEqual(sortedBy(c.expected['wantPkgs'] as TrivyPackage[], byId));
    expect(sortedBy(got.deps, (d) => d.ID)).toEqual(sortedBy(c.expected['wantDeps'] as TrivyDependency[], (d) => d.ID));
  });

  it('reads the .dep-v0 section of ELF and Mach-O executables', async () => {
    const section = readFileSync(path.join(root, 'binary/testdata/test.elf.dep-v0.bin'));
    for (const [name, content] of [
      ['usr/local/bin/app', elf64WithSection('.dep-v0', section)],
      ['app/server', macho64WithSection('.dep-v0', section)],
    ] as const) {
      const result = await rustBinaryAnalyzer.analyze([{ path: name, content }], { artifactDigest: 'sha256:x' });
      expect(result.packages?.map((p) => [p.purl, p.path, p.metadata?.['relationship']])).toEqual([
        ['pkg:cargo/crate_with_features@0.1.0', name, 'root'],
        ['pkg:cargo/library_crate@0.1.0', name, 'unknown'],
      ]);
    }
  });
});

describe('cargo-auditable section', () => {
  it('keeps runtime crates only and refuses what is not zlib JSON', () => {
    const json = { packages: [{ name: 'app', version: '1.0.0', dependencies: [1, 2], root: true }, { name: 'serde', version: '1.0.200' }, { name: 'cc', version: '1.0.0', kind: 'build' }] };
    expect(parseAuditableSection(deflateSync(JSON.stringify(json)), 'b').map((c) => [c.id, c.dependsOn])).toEqual([
      ['app@1.0.0', ['serde@1.0.200']],
      ['serde@1.0.200', undefined],
    ]);
    expect(() => parseAuditableSection(Buffer.from('not zlib'), 'usr/bin/x')).toThrow(/^usr\/bin\/x: \.dep-v0 section does not inflate/);
    expect(() => parseAuditableSection(deflateSync('{"crates":[]}'), 'usr/bin/x')).toThrow('usr/bin/x: .dep-v0 JSON has no "packages" list');
    // A bomb: 64 MiB of zeros compress to ~64 KiB and must not be inflated whole.
    expect(() => parseAuditableSection(deflateSync(Buffer.alloc(64 * 1024 * 1024)), 'bomb')).toThrow(/does not inflate/);
  });
});

describe('Cargo.lock', () => {
  it('resolves bare-name dependencies to the only locked version and names bad tables', () => {
    const lock = 'version = 3\n\n[[package]]\nname = "a"\nversion = "1.0.0"\ndependencies = ["b", "c"]\n\n[[package]]\nname = "b"\nversion = "2.0.0"\n\n[[package]]\nname = "c"\nversion = "1.0.0"\n\n[[package]]\nname = "c"\nversion = "2.0.0"\n';
    expect(parseCargoLock(lock, 'Cargo.lock')[0]).toEqual({ id: 'a@1.0.0', name: 'a', version: '1.0.0', dependsOn: ['b@2.0.0'], location: { startLine: 3, endLine: 6 } });
    expect(() => parseCargoLock('[[package]]\nname = "x"\n', 'app/Cargo.lock')).toThrow('app/Cargo.lock: [[package]] #1 (line 1) has no name or version');
    expect(() => parseCargoLock(`a = ${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'deep/Cargo.lock')).toThrow(/^deep\/Cargo\.lock:1:\d+: invalid TOML: .*nested/);
  });
});
