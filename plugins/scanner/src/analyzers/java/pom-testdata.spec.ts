import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { expectedFiles, readCases, type TrivyCase, type TrivyDependency, type TrivyPackage } from '../golang/test-helpers';
import { PomResolver, type MavenArtifact } from './pom-resolver';

/**
 * Trivy's TestPom_Parse serves testdata/repository either as the local repository
 * (`local: true`, via a settings.xml) or over HTTP as the remote one (`local: false`); the data
 * is the same. Bulkhead never fetches, and resolves from a local repository inside the scanned
 * tree, so both modes map to that repository mounted at `root/.m2/repository`; `offline: true`
 * means no repository at all.
 *
 * Package ids: Trivy appends `::<hash>` of its in-memory file path (hashstructure of a Go value)
 * to tell the same GAV under two modules apart; Bulkhead keeps the module's file in `rootFile`
 * instead. Ids are compared without the hash.
 */
const EXCEPTIONS: Record<string, string> = {
  // Network behaviour: an HTTP server answering 429 with Retry-After; there is no request to make.
  'happy/pom.xml.expected.json#remote repository returns 429 Too Many Requests': 'tests HTTP error handling',
  'snapshot/with-maven-metadata/pom.xml.expected.json#snapshot repository returns 429 Too Many Requests on maven-metadata.xml': 'tests HTTP error handling',
  // Which remote repository (declared in <repositories> of the root, a module or a dependency)
  // is asked for which POM: each repository is a separate HTTP server with different contents
  // for the same coordinates. Without a network there is no repository to choose.
  'different-repos-for-different-poms/pom.xml.expected.json#different repos for different dependencies': 'tests remote repository selection',
  'repo-from-root-for-dep-from-module/pom.xml.expected.json#root POM with module inherits repository': 'tests remote repository selection',
};

const LOCAL_REPO = 'root/.m2/repository';

/** A second repository tried first, standing for a settings.xml repository (`enableRepoForSettingsRepo`). */
const SETTINGS_REPO = 'home/builder/.m2/repository';

function resolverFor(testdata: string, options: Record<string, unknown>): PomResolver {
  const repositories = options['offline'] === true ? [] : options['enableRepoForSettingsRepo'] === true ? [SETTINGS_REPO, LOCAL_REPO] : [LOCAL_REPO];
  return new PomResolver({
    repositories,
    read(file) {
      const real = file.startsWith(`${LOCAL_REPO}/`)
        ? path.join(testdata, 'repository', file.slice(LOCAL_REPO.length + 1))
        : file.startsWith(`${SETTINGS_REPO}/`)
          ? path.join(testdata, 'repository-for-settings-repo', file.slice(SETTINGS_REPO.length + 1))
          : path.join(testdata, file);
      return existsSync(real) && statSync(real).isFile() ? readFileSync(real) : undefined;
    },
  });
}

const stripHash = (id: string): string => id.replace(/::[0-9a-f]+$/, '');

function shape(artifacts: readonly MavenArtifact[]): { pkgs: string[]; deps: string[] } {
  return {
    pkgs: artifacts
      .map((a) =>
        JSON.stringify({
          Name: a.name,
          ...(a.version ? { Version: a.version } : {}),
          ...(a.licenses ? { Licenses: a.licenses } : {}),
          Relationship: a.relationship,
          ...(a.location ? { Locations: [{ StartLine: a.location.startLine, EndLine: a.location.endLine }] } : {}),
        }),
      )
      .sort(),
    deps: artifacts
      .filter((a) => a.dependsOn)
      .map((a) => JSON.stringify({ ID: a.id, DependsOn: a.dependsOn }))
      .sort(),
  };
}

function expectedShape(want: TrivyPackage[], deps: TrivyDependency[] | undefined): { pkgs: string[]; deps: string[] } {
  return {
    pkgs: want
      .map((p) =>
        JSON.stringify({
          Name: p.Name,
          ...(p.Version ? { Version: p.Version } : {}),
          ...(p.Licenses ? { Licenses: p.Licenses } : {}),
          Relationship: p.Relationship,
          ...(p.Locations ? { Locations: p.Locations } : {}),
        }),
      )
      .sort(),
    deps: (deps ?? []).map((d) => JSON.stringify({ ID: stripHash(d.ID), DependsOn: d.DependsOn.map(stripHash).sort() })).sort(),
  };
}

describeWithShared('pom.xml resolution against trivy testdata', (shared) => {
  const testdata = path.join(shared, 'peers/trivy/pkg/dependency/parser/java/pom/testdata');
  const cases = expectedFiles(testdata).flatMap((file) => readCases(path.join(testdata, file)).map((c): [string, string, TrivyCase] => [`${file}#${c.name ?? ''}`, file, c]));

  it('finds every expectation file', () => expect(cases.length).toBeGreaterThanOrEqual(53));

  it.each(cases)('%s', (key, file, c) => {
    if (EXCEPTIONS[key]) return;
    const input = path.join(path.dirname(file), path.basename(file, '.expected.json'));
    const got = shape(resolverFor(testdata, c.options ?? {}).resolve(input));
    expect(got).toEqual(expectedShape(c.expected['want'] as TrivyPackage[], c.expected['wantDeps'] as TrivyDependency[] | undefined));
  });

  it('lists only exceptions that exist', () => {
    const keys = new Set(cases.map(([key]) => key));
    expect(Object.keys(EXCEPTIONS).filter((key) => !keys.has(key))).toEqual([]);
  });
});
