import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import type { LockDependency, LockPackage, ParsedLockfile } from './lock-package';
import { parsePackageLock } from './package-lock';
import { parsePackageJson } from './package-json';
import { parsePnpmKey, parsePnpmLock, pnpmVersion } from './pnpm-lock';
import { parseEntryPatterns, parseYarnDependency, parseYarnLock, parseYarnPattern } from './yarn-lock';

/*
 * Trivy conformance: every input under pkg/dependency/parser/nodejs with an .expected.json
 * (transcribed from Trivy's Go test tables) parses to exactly the expected packages and
 * dependency edges. Trivy's parsers return packages in map order and its tests sort them, so
 * packages and edges are compared sorted by id.
 */

interface TrivyPackage {
  ID: string;
  Name: string;
  Version?: string;
  Dev?: boolean;
  Relationship?: string;
  Licenses?: string[];
  Locations?: { StartLine: number; EndLine: number }[];
  ExternalReferences?: { Type: string; URL: string }[];
}
interface TrivyDependency {
  ID: string;
  DependsOn: string[];
}
interface ExpectedFile {
  cases: { name: string | null; expected: { want?: TrivyPackage[] | null; wantDeps?: TrivyDependency[] | null; wantErr?: string } }[];
}

const byId = <T extends { id: string }>(list: T[]): T[] => [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

function fromTrivy(p: TrivyPackage): LockPackage {
  return {
    id: p.ID,
    name: p.Name,
    version: p.Version ?? '',
    dev: p.Dev ?? false,
    relationship: (p.Relationship ?? 'unknown') as LockPackage['relationship'],
    ...(p.Licenses?.length ? { licenses: p.Licenses } : {}),
    ...(p.Locations?.length ? { locations: p.Locations.map((l) => ({ startLine: l.StartLine, endLine: l.EndLine })) } : {}),
    ...(p.ExternalReferences?.length ? { resolved: p.ExternalReferences.map((r) => r.URL) } : {}),
  };
}

/** The fields Trivy's expectation for this format sets (pnpm has no locations, yarn no licences...). */
function comparable(p: LockPackage, fields: ReadonlySet<string>): Partial<LockPackage> {
  return Object.fromEntries(Object.entries(p).filter(([key]) => fields.has(key)));
}

/**
 * `depsWhenNull`: Trivy's npm test compares dependencies only when the case lists them
 * (`if tt.wantDeps != nil`); its yarn and pnpm tests always compare them.
 */
function expectConforms(got: ParsedLockfile, expected: ExpectedFile['cases'][number]['expected'], fields: ReadonlySet<string>, depsWhenNull = true): void {
  const want = (expected.want ?? []).map(fromTrivy);
  expect(byId(got.packages).map((p) => comparable(p, fields))).toEqual(byId(want).map((p) => comparable(p, fields)));
  if (!depsWhenNull && !expected.wantDeps) return;
  const wantDeps: LockDependency[] = (expected.wantDeps ?? []).map((d) => ({ id: d.ID, dependsOn: [...d.DependsOn].sort() }));
  expect(byId(got.dependencies)).toEqual(byId(wantDeps));
}

const ALL = new Set(['id', 'name', 'version', 'dev', 'relationship', 'licenses', 'locations', 'resolved']);

function testdata(shared: string, format: string): { dir: string; inputs: string[] } {
  const dir = path.join(shared, 'peers/trivy/pkg/dependency/parser/nodejs', format, 'testdata');
  const inputs = readdirSync(dir)
    .filter((f) => f.endsWith('.expected.json'))
    .map((f) => f.slice(0, -'.expected.json'.length));
  return { dir, inputs };
}

function load(dir: string, input: string): { text: string; expected: ExpectedFile['cases'][number]['expected'] } {
  const file = JSON.parse(readFileSync(path.join(dir, `${input}.expected.json`), 'utf8')) as ExpectedFile;
  expect(file.cases).toHaveLength(1);
  return { text: readFileSync(path.join(dir, input), 'utf8'), expected: (file.cases[0] as ExpectedFile['cases'][number]).expected };
}

describeWithShared('package-lock.json against trivy testdata', (shared) => {
  const { dir, inputs } = testdata(shared, 'npm');
  it('has the fixtures', () => expect(inputs.length).toBe(10));
  it.each(inputs)('%s', (input) => {
    const { text, expected } = load(dir, input);
    expectConforms(parsePackageLock(text, input), expected, ALL, false);
  });
});

describeWithShared('yarn.lock against trivy testdata', (shared) => {
  const { dir, inputs } = testdata(shared, 'yarn');
  it('has the fixtures', () => expect(inputs.filter((i) => i.endsWith('.lock')).length).toBe(7));
  // Trivy's yarn parser sets no dev flag, relationship, licence or source URL.
  const fields = new Set(['id', 'name', 'version', 'locations']);
  it.each(inputs.filter((i) => i.endsWith('.lock')))('%s', (input) => {
    const { text, expected } = load(dir, input);
    expectConforms(parseYarnLock(text, input), expected, fields);
  });

  it('TestParsePattern vectors', () => {
    const vectors = JSON.parse(readFileSync(path.join(dir, 'TestParsePattern.cases.json'), 'utf8')) as {
      cases: { target: string; expectName?: string; expectProtocol?: string; expactVersion?: string; occurErr?: boolean }[];
    };
    for (const v of vectors.cases) {
      const got = parseYarnPattern(v.target);
      if (v.occurErr) expect(got).toBeUndefined();
      else expect(got).toEqual({ name: v.expectName, protocol: v.expectProtocol ?? '', version: v.expactVersion });
    }
  });

  it('TestParsePackagePatterns vectors', () => {
    const vectors = JSON.parse(readFileSync(path.join(dir, 'TestParsePackagePatterns.cases.json'), 'utf8')) as {
      cases: { target: string; expectName?: string; expectProtocol?: string; expactPatterns?: string[]; occurErr?: boolean }[];
    };
    for (const v of vectors.cases) {
      // The lockfile reader strips the line's leading quote before matching, as Trivy's does.
      const got = parseEntryPatterns(v.target.replace(/^"/, ''));
      if (v.occurErr) expect(got).toBeUndefined();
      else expect(got).toEqual({ name: v.expectName, protocol: v.expectProtocol ?? '', patterns: v.expactPatterns });
    }
  });

  it('TestGetDependency vectors', () => {
    const vectors = JSON.parse(readFileSync(path.join(dir, 'TestGetDependency.cases.json'), 'utf8')) as { cases: { target: string; expectName: string; expactVersion: string }[] };
    for (const v of vectors.cases) expect(parseYarnDependency(v.target)).toMatchObject({ name: v.expectName, version: v.expactVersion });
  });
});

describeWithShared('pnpm-lock.yaml against trivy testdata', (shared) => {
  const { dir, inputs } = testdata(shared, 'pnpm');
  const lockfiles = inputs.filter((i) => i.endsWith('.yaml'));
  it('has the fixtures', () => expect(lockfiles.length).toBe(11));
  // Trivy's pnpm parser gives no locations, licences or source URLs.
  const fields = new Set(['id', 'name', 'version', 'dev', 'relationship']);
  it.each(lockfiles)('%s', (input) => {
    const { text, expected } = load(dir, input);
    expectConforms(parsePnpmLock(text, input), expected, fields);
  });

  it('Test_parsePnpmKey vectors (names and versions; Trivy also returns a registry ref we do not keep)', () => {
    const vectors = JSON.parse(readFileSync(path.join(dir, 'Test_parsePnpmKey.cases.json'), 'utf8')) as { cases: { lockFileVer: number; pkg: string; wantName: string; wantVersion: string }[] };
    expect(vectors.cases.length).toBeGreaterThan(10);
    for (const v of vectors.cases) expect(parsePnpmKey(v.pkg, v.lockFileVer)).toEqual({ name: v.wantName, version: v.wantVersion });
  });

  it('Test_parseVersion vectors', () => {
    const vectors = JSON.parse(readFileSync(path.join(dir, 'Test_parseVersion.cases.json'), 'utf8')) as { cases: { ver: string; wantVer: string }[] };
    for (const v of vectors.cases) expect(pnpmVersion(v.ver)).toBe(v.wantVer);
  });
});

describeWithShared('package.json against trivy testdata', (shared) => {
  const { dir, inputs } = testdata(shared, 'packagejson');
  it('has the fixtures', () => expect(inputs.length).toBe(13));
  interface WantPackageJson {
    Package: { ID?: string; Name?: string; Version?: string; Licenses?: string[] };
    Dependencies?: Record<string, string>;
    OptionalDependencies?: Record<string, string>;
    DevDependencies?: Record<string, string>;
    Workspaces?: string[];
  }
  it.each(inputs)('%s', (input) => {
    const file = JSON.parse(readFileSync(path.join(dir, `${input}.expected.json`), 'utf8')) as { cases: { expected: { want?: WantPackageJson; wantErr?: string } }[] };
    const expected = file.cases[0]?.expected ?? {};
    const text = readFileSync(path.join(dir, input), 'utf8');
    if (expected.wantErr) {
      expect(() => parsePackageJson(text, input)).toThrow(expected.wantErr);
      return;
    }
    const got = parsePackageJson(text, input);
    const want = expected.want as WantPackageJson;
    expect({ id: got.id, name: got.name, version: got.version, licenses: got.licenses }).toEqual({
      id: want.Package.ID ?? '',
      name: want.Package.Name ?? '',
      version: want.Package.Version ?? '',
      licenses: want.Package.Licenses ?? [],
    });
    expect(got.dependencies).toEqual(want.Dependencies ?? {});
    expect(got.optionalDependencies).toEqual(want.OptionalDependencies ?? {});
    expect(got.devDependencies).toEqual(want.DevDependencies ?? {});
    expect(got.workspaces).toEqual(want.Workspaces ?? []);
  });
});
