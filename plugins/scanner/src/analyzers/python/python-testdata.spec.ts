import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import type { PythonDependency, PythonPackage } from './python-package';
import { parsePythonMetadata } from './metadata';
import { parsePipfileLock } from './pipenv';
import { parsePoetryLock } from './poetry';
import { parseRequirements } from './requirements';
import { parseUvLock } from './uv';

/*
 * Trivy conformance: every input under pkg/dependency/parser/python with an .expected.json
 * parses to exactly the expected packages (and dependency edges where Trivy's test has them).
 * requirements.txt and Pipfile.lock keep file order in Trivy too, but Pipfile.lock comes from a
 * Go map, so every list is compared sorted by id.
 */

interface TrivyPackage {
  ID?: string;
  Name: string;
  Version?: string;
  Dev?: boolean;
  Relationship?: string;
  Licenses?: string[] | null;
  Locations?: { StartLine: number; EndLine: number }[];
}
interface Case {
  options?: { useMinVersion?: boolean };
  expected: { want?: TrivyPackage[] | null; wantPkgs?: TrivyPackage[]; wantDeps?: { ID: string; DependsOn: string[] }[] | null; wantErr?: string | boolean };
}

const sortById = <T extends { id: string }>(list: T[]): T[] => [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

function pick(p: PythonPackage, fields: readonly (keyof PythonPackage)[]): Partial<PythonPackage> {
  return Object.fromEntries(fields.map((field) => [field, p[field]]));
}

function fromTrivy(p: TrivyPackage): PythonPackage {
  const version = p.Version ?? '';
  return {
    id: p.ID ?? `${p.Name}@${version}`,
    name: p.Name,
    version,
    dev: p.Dev ?? false,
    relationship: (p.Relationship ?? 'unknown') as PythonPackage['relationship'],
    ...(p.Licenses?.length ? { licenses: p.Licenses } : {}),
    ...(p.Locations?.length ? { locations: p.Locations.map((l) => ({ startLine: l.StartLine, endLine: l.EndLine })) } : {}),
  };
}

function cases(shared: string, format: string): { dir: string; inputs: string[] } {
  const dir = path.join(shared, 'peers/trivy/pkg/dependency/parser/python', format, 'testdata');
  return { dir, inputs: readdirSync(dir).filter((f) => f.endsWith('.expected.json')).map((f) => f.slice(0, -'.expected.json'.length)) };
}

function only(dir: string, input: string): Case {
  const file = JSON.parse(readFileSync(path.join(dir, `${input}.expected.json`), 'utf8')) as { cases: Case[] };
  expect(file.cases).toHaveLength(1);
  return file.cases[0] as Case;
}

function expectPackages(got: PythonPackage[], want: TrivyPackage[] | null | undefined, fields: readonly (keyof PythonPackage)[]): void {
  expect(sortById(got).map((p) => pick(p, fields))).toEqual(sortById((want ?? []).map(fromTrivy)).map((p) => pick(p, fields)));
}

function expectDependencies(got: PythonDependency[], want: { ID: string; DependsOn: string[] }[] | null | undefined): void {
  expect(sortById(got)).toEqual(sortById((want ?? []).map((d) => ({ id: d.ID, dependsOn: [...d.DependsOn].sort() }))));
}

describeWithShared('requirements.txt against trivy testdata', (shared) => {
  const { dir, inputs } = cases(shared, 'pip');
  it('has the fixtures', () => expect(inputs).toHaveLength(11));
  it.each(inputs)('%s', (input) => {
    const c = only(dir, input);
    const got = parseRequirements(readFileSync(path.join(dir, input)), { useMinVersion: c.options?.useMinVersion === true });
    expectPackages(got, c.expected.want, ['id', 'name', 'version', 'locations']);
  });
});

describeWithShared('Pipfile.lock against trivy testdata', (shared) => {
  const { dir, inputs } = cases(shared, 'pipenv');
  it('has the fixtures', () => expect(inputs).toHaveLength(3));
  it.each(inputs)('%s', (input) => {
    const c = only(dir, input);
    expectPackages(parsePipfileLock(readFileSync(path.join(dir, input), 'utf8'), input), c.expected.want, ['id', 'name', 'version', 'locations']);
  });
});

describeWithShared('poetry.lock against trivy testdata', (shared) => {
  const { dir, inputs } = cases(shared, 'poetry');
  it('has the fixtures', () => expect(inputs).toHaveLength(3));
  it.each(inputs)('%s', (input) => {
    const c = only(dir, input);
    const got = parsePoetryLock(readFileSync(path.join(dir, input), 'utf8'), input);
    expectPackages(got.packages, c.expected.wantPkgs, ['id', 'name', 'version', 'dev']);
    expectDependencies(got.dependencies, c.expected.wantDeps);
  });
});

describeWithShared('uv.lock against trivy testdata', (shared) => {
  const { dir, inputs } = cases(shared, 'uv');
  it('has the fixtures', () => expect(inputs).toHaveLength(3));
  it.each(inputs)('%s', (input) => {
    const c = only(dir, input);
    const text = readFileSync(path.join(dir, input), 'utf8');
    if (typeof c.expected.wantErr === 'string') {
      expect(() => parseUvLock(text, input)).toThrow(c.expected.wantErr);
      return;
    }
    const got = parseUvLock(text, input);
    expectPackages(got.packages, c.expected.wantPkgs, ['id', 'name', 'version', 'dev', 'relationship']);
    expectDependencies(got.dependencies, c.expected.wantDeps);
  });
});

describeWithShared('METADATA / PKG-INFO against trivy testdata', (shared) => {
  const { dir, inputs } = cases(shared, 'packaging');
  it('has the fixtures', () => expect(inputs).toHaveLength(11));
  it.each(inputs)('%s', (input) => {
    const c = only(dir, input);
    const text = readFileSync(path.join(dir, input), 'utf8');
    if (c.expected.wantErr) {
      expect(() => parsePythonMetadata(text, input)).toThrow(input);
      return;
    }
    expectPackages([parsePythonMetadata(text, input)], c.expected.want, ['name', 'version', 'licenses']);
  });
});
