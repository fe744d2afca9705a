import { posix } from 'node:path';
import type { Analyzer, AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import { skipUnreadable } from '../golang/skip-unreadable';
import { mavenPackageResult } from './maven-package';
import { PomResolver } from './pom-resolver';
import { parsePomXml } from './pom-xml';

const REPOSITORY_MARK = '.m2/repository/';

/** The local Maven repository a path is inside (`root/.m2/repository`), or undefined. */
function repositoryOf(path: string): string | undefined {
  if (path.startsWith(REPOSITORY_MARK)) return REPOSITORY_MARK.slice(0, -1);
  const at = path.indexOf(`/${REPOSITORY_MARK}`);
  return at < 0 ? undefined : path.slice(0, at + REPOSITORY_MARK.length);
}

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * Files the pom.xml analyzer asks for: every `pom.xml`, and the POMs and snapshot metadata of
 * local Maven repositories (`~/.m2/repository`, at any depth: `root/.m2/…`, `home/u/.m2/…`),
 * which is where the transitive dependencies of a build's POMs are described. A CI or builder
 * image with a full local repository holds thousands of small POMs: each is at most a few KB.
 */
export function wantsPomFile(path: string): boolean {
  const name = baseName(path);
  if (repositoryOf(path) !== undefined) return name.endsWith('.pom') || (name.startsWith('maven-metadata') && name.endsWith('.xml'));
  return name === 'pom.xml';
}

/**
 * The pom.xml files that are projects of their own: those no other pom.xml of the tree lists as
 * a `<module>` (a module is resolved as part of its aggregator, as `mvn` and Trivy do).
 */
function rootPoms(files: ReadonlyMap<string, Buffer>): string[] {
  const poms = [...files.keys()].filter((path) => baseName(path) === 'pom.xml' && repositoryOf(path) === undefined).sort();
  const modules = new Set<string>();
  for (const path of poms) {
    skipUnreadable(() => {
      for (const module of parsePomXml((files.get(path) ?? Buffer.alloc(0)).toString('utf8'), path, false).modules) {
        const joined = posix.normalize(posix.join(posix.dirname(path), module));
        modules.add(joined);
        modules.add(posix.join(joined, 'pom.xml'));
      }
    });
  }
  return poms.filter((path) => !modules.has(path));
}

/**
 * pom.xml projects: their dependencies resolved as Trivy resolves them (see PomResolver), from
 * the POMs of the same tree only. Each artifact is reported against the root or module POM it
 * was resolved for; the project itself (relationship `root`/`workspace`) too. Artifacts whose
 * version cannot be determined (a version managed nowhere in the tree) are left out: a version
 * is what matching needs. A POM that is not well-formed XML is skipped.
 */
export const pomAnalyzer: Analyzer = {
  id: 'pom',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: 4 * 1024 * 1024,
  wants: wantsPomFile,
  analyze(files) {
    const byPath = new Map(files.map((f) => [f.path, f]));
    const contents = new Map(files.map((f) => [f.path, f.content]));
    const repositories = [...new Set(files.flatMap((f) => repositoryOf(f.path) ?? []))].sort((a, b) => (a.startsWith('root/') ? -1 : b.startsWith('root/') ? 1 : a < b ? -1 : 1));
    const resolver = new PomResolver({ repositories, read: (path) => contents.get(path) });
    const packages: PackageResult[] = [];
    for (const root of rootPoms(contents)) {
      skipUnreadable(() => {
        for (const artifact of resolver.resolve(root)) {
          if (artifact.version === '') continue;
          const file: AnalyzerFile = byPath.get(artifact.rootFile) ?? byPath.get(root) ?? { path: root, content: Buffer.alloc(0) };
          packages.push(
            mavenPackageResult(artifact.name, artifact.version, file, artifact.rootFile, {
              source: 'pom.xml',
              relationship: artifact.relationship,
              ...(artifact.licenses ? { licenses: artifact.licenses } : {}),
              ...(artifact.location ? { line: artifact.location.startLine, endLine: artifact.location.endLine } : {}),
            }),
          );
        }
      });
    }
    return { packages };
  },
};
