import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { decodeBuildInfo, goBinaryModules, parseModinfo } from './buildinfo';
import { parseGoMod } from './go-mod';
import type { GoModule } from './go-module';
import { parseGoSum } from './go-sum';
import { expectedFiles, readCases, sortedBy, type TrivyCase, type TrivyDependency, type TrivyPackage } from './test-helpers';

/**
 * Cases whose expectation cannot be reproduced from the data in ../shared, each with why. The
 * suite fails if one of them starts passing through another route or a new case is skipped.
 */
const EXCEPTIONS: Record<string, string> = {
  // TestParser_ELFSymbolVersion reads `main.version.str` from the ELF symbol table and .rodata
  // of the original executable; the fixture is only the extracted build info section. The same
  // lookup (module github.com/aquasecurity/test, `main.version` = v1.0.0) is checked on a built
  // ELF in golang.spec.ts ("falls back to `-X` version symbols").
  'binary/testdata/main-version-via-ldflags.elf.go-buildinfo.bin.expected.json#ELF with version symbol': 'needs the ELF symbol table, not in the extracted section',
};

function trivyShape(modules: readonly GoModule[]): { pkgs: TrivyPackage[]; deps: TrivyDependency[] } {
  const pkgs = modules.map((m) => ({
    ID: m.id,
    Name: m.name,
    ...(m.version ? { Version: m.version } : {}),
    ...(m.relationship ? { Relationship: m.relationship } : {}),
    ...(m.vcsUrl ? { ExternalReferences: [{ Type: 'vcs', URL: m.vcsUrl }] } : {}),
  }));
  const deps = modules.filter((m) => m.dependsOn && m.dependsOn.length > 0).map((m) => ({ ID: m.id, DependsOn: m.dependsOn ?? [] }));
  return { pkgs, deps };
}

const byId = (p: { ID?: string; Name: string }): string => p.ID ?? p.Name;

describeWithShared('Go parsers against trivy testdata', (shared) => {
  const root = path.join(shared, 'peers/trivy/pkg/dependency/parser/golang');
  const cases = expectedFiles(root).flatMap((file) => readCases(path.join(root, file)).map((c): [string, string, TrivyCase] => [`${file}#${c.name ?? ''}`, file, c]));

  it('finds every expectation file', () => {
    expect(cases.length).toBeGreaterThanOrEqual(17);
  });

  it.each(cases)('%s', (key, file, c) => {
    if (EXCEPTIONS[key]) return;
    const input = path.join(root, path.dirname(file), path.basename(file, '.expected.json'));
    const content = readFileSync(input);
    if (file.startsWith('mod/')) {
      const opts = c.options ?? {};
      const got = trivyShape(parseGoMod(content.toString('utf8'), input, { replace: opts['replace'] === true, stdlib: opts['useMinVersion'] === true }));
      // The parser's result is a map's values: Trivy's test sorts both sides.
      expect(sortedBy(got.pkgs, byId)).toEqual(sortedBy(c.expected['wantPkgs'] as TrivyPackage[], byId));
      expect(got.deps).toEqual(c.expected['wantDeps']);
    } else if (file.startsWith('sum/')) {
      const got = parseGoSum(content.toString('utf8')).map((m) => ({ Name: m.name, Version: m.version }));
      const want = (c.expected['want'] as TrivyPackage[]).map((p) => ({ Name: p.Name, Version: p.Version }));
      expect(sortedBy(got, byId)).toEqual(sortedBy(want, byId));
    } else {
      const got = trivyShape(goBinaryModules(parseModinfo(decodeBuildInfo(content, input))));
      expect(got.pkgs).toEqual(c.expected['wantPkgs']);
      expect(got.deps).toEqual(c.expected['wantDeps'] ?? []);
    }
  });

  it('lists only exceptions that exist', () => {
    const keys = new Set(cases.map(([key]) => key));
    expect(Object.keys(EXCEPTIONS).filter((key) => !keys.has(key))).toEqual([]);
  });
});
