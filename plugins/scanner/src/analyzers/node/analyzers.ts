import { BadInputError, type Analyzer, type AnalyzerFile, type PackageResult } from '@bulkhead/plugin-sdk';
import { packageUrl } from '../purl';
import type { LockPackage, ParsedLockfile } from './lock-package';
import { parsePackageJson, type PackageJson } from './package-json';
import { parsePackageLock } from './package-lock';
import { parsePnpmLock } from './pnpm-lock';
import { parseYarnLock } from './yarn-lock';

/*
 * Node.js analyzers. Lockfiles (npm, yarn, pnpm) report what a project resolved, without its
 * dev dependencies (Trivy's default); installed package.json files report what is on disk.
 * Unlike Trivy, which reads lockfiles only in file-system scans and installed packages only in
 * image scans, Bulkhead reads both wherever they are, so an image that ships its lockfile is
 * covered before `npm ci` runs too. To not report a package twice, the installed-package
 * analyzer leaves out a project's node_modules when the project has a lockfile: the lockfile
 * says more (dev or not, direct or not, its line).
 */

const LOCKFILES = ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml'] as const;
const LOCKFILE_SET = new Set<string>(LOCKFILES);
const MAX_LOCKFILE = 64 * 1024 * 1024;

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function dirName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

const inNodeModules = (path: string): boolean => path.startsWith('node_modules/') || path.includes('/node_modules/');

/** The project folder a node_modules path belongs to: `app` for `app/node_modules/a/package.json`. */
function projectOf(path: string): string | undefined {
  if (path.startsWith('node_modules/')) return '';
  const at = path.indexOf('/node_modules/');
  return at < 0 ? undefined : path.slice(0, at);
}

export function npmPackageResult(name: string, version: string, file: AnalyzerFile, metadata: Record<string, unknown>): PackageResult {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  const purl = slash > 0 ? packageUrl('npm', name.slice(0, slash), name.slice(slash + 1), version) : packageUrl('npm', undefined, name, version);
  return { type: 'npm', name, version, purl, path: file.path, ...(file.layer ? { layer: file.layer } : {}), metadata: { ...metadata, file: file.path } };
}

/** Lockfile packages as SDK packages: dev dependencies and versionless links left out. */
function lockfilePackages(parsed: ParsedLockfile, file: AnalyzerFile): PackageResult[] {
  const dependsOn = new Map(parsed.dependencies.map((d) => [d.id, d.dependsOn]));
  return parsed.packages
    .filter((pkg) => !pkg.dev && pkg.version !== '')
    .map((pkg: LockPackage) =>
      npmPackageResult(pkg.name, pkg.version, file, {
        relationship: pkg.relationship,
        ...(pkg.licenses?.length ? { licenses: pkg.licenses } : {}),
        ...(pkg.locations?.length ? { line: pkg.locations[0]?.startLine, locations: pkg.locations } : {}),
        ...(dependsOn.get(pkg.id) ? { dependsOn: dependsOn.get(pkg.id) } : {}),
      }),
    );
}

/** Runs `parse` per file; a file that does not parse becomes a warning, not a failed scan. */
function perFile(files: readonly AnalyzerFile[], parse: (file: AnalyzerFile) => PackageResult[]): { packages: PackageResult[]; warnings: string[] } {
  const packages: PackageResult[] = [];
  const warnings: string[] = [];
  for (const file of files) {
    try {
      packages.push(...parse(file));
    } catch (error) {
      if (!(error instanceof BadInputError)) throw error;
      warnings.push(`${error.message}: skipped`);
    }
  }
  return { packages, warnings };
}

export const npmLockAnalyzer: Analyzer = {
  id: 'npm-lock',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: MAX_LOCKFILE,
  // node_modules/.package-lock.json is npm's cache of the tree, not a project's lockfile.
  wants: (path) => baseName(path) === 'package-lock.json' && !inNodeModules(path),
  analyze: (files) => perFile(files, (file) => lockfilePackages(parsePackageLock(file.content.toString('utf8'), file.path), file)),
};

export const pnpmLockAnalyzer: Analyzer = {
  id: 'pnpm-lock',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: MAX_LOCKFILE,
  wants: (path) => baseName(path) === 'pnpm-lock.yaml' && !inNodeModules(path),
  analyze: (files) => perFile(files, (file) => lockfilePackages(parsePnpmLock(file.content.toString('utf8'), file.path), file)),
};

/**
 * yarn.lock has no dev flag. As Trivy does, the package.json beside it tells: packages reachable
 * from its dependencies and optionalDependencies are kept, the rest (reachable only from
 * devDependencies) left out. Without a package.json every package is kept.
 */
export const yarnLockAnalyzer: Analyzer = {
  id: 'yarn-lock',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: MAX_LOCKFILE,
  wants: (path) => {
    const base = baseName(path);
    return (base === 'yarn.lock' || base === 'package.json') && !inNodeModules(path);
  },
  analyze(files) {
    const manifests = new Map(files.filter((f) => baseName(f.path) === 'package.json').map((f) => [dirName(f.path), f]));
    const warnings: string[] = [];
    const result = perFile(
      files.filter((f) => baseName(f.path) === 'yarn.lock'),
      (file) => {
        const parsed = parseYarnLock(file.content.toString('utf8'), file.path);
        warnings.push(...parsed.warnings);
        const manifest = manifests.get(dirName(file.path));
        let root: PackageJson | undefined;
        if (manifest) {
          try {
            root = parsePackageJson(manifest.content.toString('utf8'), manifest.path);
          } catch (error) {
            if (!(error instanceof BadInputError)) throw error;
            warnings.push(`${error.message}: dev dependencies of ${file.path} cannot be told apart, all reported`);
          }
        }
        if (root) markYarnDev(parsed, root);
        return lockfilePackages(parsed, file);
      },
    );
    return { packages: result.packages, warnings: [...warnings, ...result.warnings] };
  },
};

/** Sets `dev` and `relationship` on a yarn lockfile's packages from the project's package.json. */
function markYarnDev(parsed: ReturnType<typeof parseYarnLock>, root: PackageJson): void {
  const idOfPattern = new Map<string, string>();
  for (const [id, patterns] of parsed.patterns) for (const pattern of patterns) idOfPattern.set(pattern, id);
  const idsOf = (deps: Record<string, string>): string[] => Object.entries(deps).flatMap(([name, range]) => idOfPattern.get(`${name}@${range.replace(/^npm:/, '')}`) ?? []);
  const prodRoots = idsOf({ ...root.dependencies, ...root.optionalDependencies });
  const devRoots = idsOf(root.devDependencies);
  const edges = new Map(parsed.dependencies.map((d) => [d.id, d.dependsOn]));
  const prod = new Set<string>();
  const stack = [...prodRoots];
  while (stack.length) {
    const id = stack.pop() as string;
    if (prod.has(id)) continue;
    prod.add(id);
    stack.push(...(edges.get(id) ?? []));
  }
  const direct = new Set([...prodRoots, ...devRoots]);
  for (const pkg of parsed.packages) {
    pkg.dev = !prod.has(pkg.id);
    pkg.relationship = direct.has(pkg.id) ? 'direct' : 'indirect';
  }
}

/**
 * Installed packages: every package.json with a name and a version (Trivy's node-pkg rule: a
 * package.json is a package when it names one), except those of a node_modules tree whose
 * project has a lockfile (see the top of this file). Wants the lockfile names too, only to
 * know which projects have one.
 */
export const nodePackageAnalyzer: Analyzer = {
  id: 'node-pkg',
  version: '1.0.0',
  stage: 'packages',
  // As large as the lockfiles it wants (only to see that they exist), so none is skipped.
  maxFileSize: MAX_LOCKFILE,
  wants: (path) => {
    const base = baseName(path);
    return base === 'package.json' || (LOCKFILE_SET.has(base) && !inNodeModules(path));
  },
  analyze(files) {
    const projectsWithLockfile = new Set(files.filter((f) => LOCKFILE_SET.has(baseName(f.path))).map((f) => dirName(f.path)));
    const manifests = files.filter((f) => {
      if (baseName(f.path) !== 'package.json') return false;
      const project = projectOf(f.path);
      return project === undefined || !projectsWithLockfile.has(project);
    });
    return perFile(manifests, (file) => {
      const pkg = parsePackageJson(file.content.toString('utf8'), file.path);
      if (!pkg.id) return [];
      return [npmPackageResult(pkg.name, pkg.version, file, pkg.licenses.length ? { licenses: pkg.licenses } : {})];
    });
  },
};
