import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { parseManifestText, type LoadedManifests } from '../k8s/load';
import { obj } from '../k8s/objects';
import { RESTRICTED_CHECKS } from './checks-restricted';
import { evaluatePod, PSS_CHECKS } from './evaluator';
import { PSS_LEVELS, type PssLevel } from './types';

interface Fixture {
  level: PssLevel;
  version: string;
  expect: 'pass' | 'fail';
  file: string;
  /** The check the fixture exercises, from its name (`base*.yaml` exercise none). */
  checkId?: string;
}

const CHECK_BY_LOWER = new Map(PSS_CHECKS.map((c) => [c.id.toLowerCase(), c.id]));

function listFixtures(root: string): Fixture[] {
  const fixtures: Fixture[] = [];
  for (const level of PSS_LEVELS) {
    for (const version of readdirSync(path.join(root, level))) {
      for (const expect of ['pass', 'fail'] as const) {
        const dir = path.join(root, level, version, expect);
        for (const name of readdirSync(dir).filter((n) => n.endsWith('.yaml'))) {
          const prefix = name.replace(/\d*\.yaml$/, '');
          const checkId = prefix.startsWith('base') ? undefined : CHECK_BY_LOWER.get(prefix);
          if (!prefix.startsWith('base') && !checkId) throw new Error(`fixture ${dir}/${name} names no known check`);
          fixtures.push({ level, version, expect, file: path.join(dir, name), checkId });
        }
      }
    }
  }
  return fixtures;
}

/** Restricted checks that replace `checkId` at a restricted minor (a failing baseline fixture may fail for them). */
function overridersAt(checkId: string, minor: number): string[] {
  return RESTRICTED_CHECKS.filter((c) => {
    const v = [...c.versions].reverse().find((x) => x.minimumVersion <= minor);
    return v?.overrideCheckIds?.includes(checkId);
  }).map((c) => c.id);
}

describeWithShared('Pod Security Standards fixtures of kubernetes/pod-security-admission', (shared) => {
  const root = path.join(shared, 'peers', 'pod-security-admission', 'testdata');
  const fixtures = listFixtures(root);

  it('finds every fixture', () => {
    expect(fixtures.length).toBe(4537);
  });

  it('agrees with every fixture at its own level and version', () => {
    const disagreements: string[] = [];
    for (const f of fixtures) {
      // Read with the manifest loader, so its YAML reading is held to every fixture too.
      const loaded: LoadedManifests = { objects: [], errors: [], files: [f.file] };
      parseManifestText(readFileSync(f.file, 'utf8'), f.file, loaded);
      const rel = path.relative(root, f.file);
      const pod = loaded.objects[0]?.object;
      if (loaded.errors.length > 0 || loaded.objects.length !== 1 || !pod) {
        disagreements.push(`${rel}: expected one object, got ${loaded.objects.length} and errors ${JSON.stringify(loaded.errors)}`);
        continue;
      }
      const evaluation = evaluatePod(obj(pod['metadata']) ?? {}, obj(pod['spec']) ?? {}, f.level, f.version);
      if (f.expect === 'pass' && !evaluation.allowed) {
        disagreements.push(`${rel}: expected allowed, got ${JSON.stringify(evaluation.violations)}`);
      } else if (f.expect === 'fail') {
        if (evaluation.allowed) {
          disagreements.push(`${rel}: expected denied, was allowed`);
        } else if (f.checkId) {
          const minor = Number(f.version.slice(3));
          const acceptable = [f.checkId, ...(f.level === 'restricted' ? overridersAt(f.checkId, minor) : [])];
          if (!evaluation.violations.some((v) => acceptable.includes(v.check))) {
            disagreements.push(`${rel}: denied, but not by ${acceptable.join('/')}: ${JSON.stringify(evaluation.violations)}`);
          }
        }
      }
    }
    expect(disagreements.slice(0, 20)).toEqual([]);
    expect(disagreements.length).toBe(0);
  });

  it('has fixtures for every check', () => {
    const seen = new Set(fixtures.map((f) => f.checkId).filter(Boolean));
    expect([...CHECK_BY_LOWER.values()].filter((id) => !seen.has(id))).toEqual([]);
  });
});
