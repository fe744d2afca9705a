import { BadInputError, type Analyzer, type AnalyzerFile, type PackageResult } from '@bulkhead/plugin-sdk';
import { packageUrl } from '../purl';
import type { LockPackage, ParsedLockfile } from './lock-package';
import { parsePackageJson, type PackageJson } from './package-json';
import { globMatch, parsePackageLock } from './package-lock';
import { parsePnpmLock } from './pnpm-lock';
import { parseYarnLock } from './yarn-lock';

/*
 * Node.js analyzers. Lockfiles (npm, yarn, pnpm) report what a project resolved, without its
 * dev dependencies (Trivy's default); installed package.json files report what is on disk.
 * Unlike Trivy, which reads lockfiles only in file-system scans and installed packages only in
 * image scans, Bulkhead reads both wherever they are, so an image that ships its lockfile is
 * covered before `npm ci` runs too. To not report a package twice, the installed-package
 * analyzer leaves out an installed package that its project's lockfile already reports (the
 * lockfile says more: direct or not, its line). Installed packages the lockfile does not report
 * (a stale lockfile, `npm install --no-save`, dev dependencies installed into the image) are
 * still reported from node_modules: they are on disk.
 */

const LOCKFILES = ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml'] as const;
const LOCKFILE_SET = new Set<string>(LOCKFILES);
const MAX_LOCKFILE = 64 * 1024 * 1024;

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * `path`'s last segment is `name`: what wants() asks of every path of an image, so it compares
 * in place instead of slicing the base name out.
 */
export function hasBaseName(path: string, name: string): boolean {
  return path.endsWith(name) && (path.length === name.length || path.charCodeAt(path.length - name.length - 1) === 0x2f);
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
export function perFile(files: readonly AnalyzerFile[], parse: (file: AnalyzerFile) => PackageResult[]): { packages: PackageResult[]; warnings: string[] } {
  const packages: PackageResult[] = [];
  const warnings: string[] = [];
  for (const file of files) {
    try {
      // One by one: a spread of a 100,000-package lockfile would overflow the call stack.
      for (const pkg of parse(file)) packages.push(pkg);
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
  wants: (path) => hasBaseName(path, 'package-lock.json') && !inNodeModules(path),
  analyze: (files) => perFile(files, (file) => lockfilePackages(parsePackageLock(file.content.toString('utf8'), file.path), file)),
};

export const pnpmLockAnalyzer: Analyzer = {
  id: 'pnpm-lock',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: MAX_LOCKFILE,
  wants: (path) => hasBaseName(path, 'pnpm-lock.yaml') && !inNodeModules(path),
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
  wants: (path) => (hasBaseName(path, 'yarn.lock') || hasBaseName(path, 'package.json')) && !inNodeModules(path),
  analyze(files) {
    const manifests = manifestsByDir(files);
    const warnings: string[] = [];
    const result = perFile(
      files.filter((f) => baseName(f.path) === 'yarn.lock'),
      (file) => lockfilePackages(parseYarnProject(file, manifests, warnings), file),
    );
    return { packages: result.packages, warnings: [...warnings, ...result.warnings] };
  },
};

function manifestsByDir(files: readonly AnalyzerFile[]): Map<string, AnalyzerFile> {
  return new Map(files.filter((f) => baseName(f.path) === 'package.json' && !inNodeModules(f.path)).map((f) => [dirName(f.path), f]));
}

/**
 * A yarn.lock with dev dependencies told apart by the package.json beside it, when there is one,
 * and by its workspace members' package.json files (a monorepo's production dependencies are
 * mostly declared by its members, not by the root).
 */
function parseYarnProject(file: AnalyzerFile, manifests: ReadonlyMap<string, AnalyzerFile>, warnings: string[]): ParsedLockfile {
  const parsed = parseYarnLock(file.content.toString('utf8'), file.path);
  warnings.push(...parsed.warnings);
  const projectDir = dirName(file.path);
  const manifest = manifests.get(projectDir);
  if (!manifest) return parsed;
  const readManifest = (candidate: AnalyzerFile): PackageJson | undefined => {
    try {
      return parsePackageJson(candidate.content.toString('utf8'), candidate.path);
    } catch (error) {
      if (!(error instanceof BadInputError)) throw error;
      warnings.push(`${error.message}: dev dependencies of ${file.path} cannot be told apart, all reported`);
      return undefined;
    }
  };
  const root = readManifest(manifest);
  if (!root) return parsed;
  const members: PackageJson[] = [];
  if (root.workspaces.length) {
    const prefix = projectDir ? `${projectDir}/` : '';
    for (const [dir, candidate] of manifests) {
      if (dir === projectDir || !dir.startsWith(prefix)) continue;
      const relative = dir.slice(prefix.length);
      if (!root.workspaces.some((pattern) => globMatch(pattern.replace(/\/+$/, ''), relative))) continue;
      const member = readManifest(candidate);
      if (!member) return parsed;
      members.push(member);
    }
  }
  markYarnDev(parsed, [root, ...members]);
  return parsed;
}

/** Sets `dev` and `relationship` on a yarn lockfile's packages from the project's manifests. */
function markYarnDev(parsed: ReturnType<typeof parseYarnLock>, manifests: readonly PackageJson[]): void {
  const idOfPattern = new Map<string, string>();
  for (const [id, patterns] of parsed.patterns) for (const pattern of patterns) idOfPattern.set(pattern, id);
  const idsOf = (deps: Record<string, string>): string[] => Object.entries(deps).flatMap(([name, range]) => idOfPattern.get(`${name}@${range.replace(/^npm:/, '')}`) ?? []);
  const prodRoots = manifests.flatMap((m) => idsOf({ ...m.dependencies, ...m.optionalDependencies }));
  const devRoots = manifests.flatMap((m) => idsOf(m.devDependencies));
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
 * `name@version` of the packages a project lockfile reports (what lockfilePackages keeps), or
 * undefined when it does not parse (its own analyzer warns; nothing is left out then).
 */
function lockfileReported(file: AnalyzerFile, manifests: ReadonlyMap<string, AnalyzerFile>): Set<string> | undefined {
  try {
    const text = file.content.toString('utf8');
    const base = baseName(file.path);
    const parsed = base === 'package-lock.json' ? parsePackageLock(text, file.path) : base === 'pnpm-lock.yaml' ? parsePnpmLock(text, file.path) : parseYarnProject(file, manifests, []);
    return new Set(parsed.packages.filter((p) => !p.dev && p.version !== '').map((p) => `${p.name}@${p.version}`));
  } catch (error) {
    if (error instanceof BadInputError) return undefined;
    throw error;
  }
}

/**
 * Installed packages: every package.json with a name and a version (Trivy's node-pkg rule: a
 * package.json is a package when it names one), except those of a node_modules tree whose
 * project's lockfile reports the same name and version (see the top of this file). Wants the
 * projects' lockfiles too, to know what they report.
 */
export const nodePackageAnalyzer: Analyzer = {
  id: 'node-pkg',
  version: '1.0.0',
  stage: 'packages',
  // As large as the lockfiles it reads, so none is skipped.
  maxFileSize: MAX_LOCKFILE,
  wants: (path) => hasBaseName(path, 'package.json') || (LOCKFILES.some((name) => hasBaseName(path, name)) && !inNodeModules(path)),
  analyze(files) {
    const manifests = manifestsByDir(files);
    const reported = new Map<string, Set<string>[]>();
    for (const file of files) {
      if (!LOCKFILE_SET.has(baseName(file.path))) continue;
      const ids = lockfileReported(file, manifests);
      if (ids) reported.set(dirName(file.path), [...(reported.get(dirName(file.path)) ?? []), ids]);
    }
    return perFile(
      files.filter((f) => baseName(f.path) === 'package.json'),
      (file) => {
        const pkg = parsePackageJson(file.content.toString('utf8'), file.path);
        if (!pkg.id) return [];
        const project = projectOf(file.path);
        if (project !== undefined && reported.get(project)?.some((ids) => ids.has(pkg.id))) return [];
        return [npmPackageResult(pkg.name, pkg.version, file, pkg.licenses.length ? { licenses: pkg.licenses } : {})];
      },
    );
  },
};
