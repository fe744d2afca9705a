import type { Analyzer, AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import { hasBaseName, perFile } from '../node/analyzers';
import { packageUrl } from '../purl';
import { parsePythonMetadata } from './metadata';
import { parsePipfileLock } from './pipenv';
import { parsePoetryLock } from './poetry';
import type { ParsedPythonLockfile, PythonPackage } from './python-package';
import { decodeText, parseRequirements } from './requirements';
import { parseUvLock } from './uv';

/*
 * Python analyzers: requirements.txt, Pipfile.lock, poetry.lock and uv.lock (what a project
 * pins, dev dependencies left out as Trivy does by default) and installed distributions'
 * metadata (what is on disk). The name is reported as written (`Flask`); matching compares PEP
 * 503 normalised names (libs/vulndb ecosystem.ts) and the purl is normalised by packageurl-js.
 */

const MAX_LOCKFILE = 64 * 1024 * 1024;

export function pypiPackageResult(pkg: PythonPackage, file: AnalyzerFile, extra: Record<string, unknown> = {}): PackageResult {
  return {
    type: 'pypi',
    name: pkg.name,
    version: pkg.version,
    purl: packageUrl('pypi', undefined, pkg.name, pkg.version),
    path: file.path,
    ...(file.layer ? { layer: file.layer } : {}),
    metadata: {
      ...(pkg.relationship !== 'unknown' ? { relationship: pkg.relationship } : {}),
      ...(pkg.licenses?.length ? { licenses: pkg.licenses } : {}),
      ...(pkg.locations?.length ? { line: pkg.locations[0]?.startLine, locations: pkg.locations } : {}),
      ...extra,
      file: file.path,
    },
  };
}

function lockfilePackages(parsed: ParsedPythonLockfile, file: AnalyzerFile): PackageResult[] {
  const dependsOn = new Map(parsed.dependencies.map((d) => [d.id, d.dependsOn]));
  // The root of a uv lockfile is the project being scanned, not something it installs.
  return parsed.packages.filter((pkg) => !pkg.dev && pkg.relationship !== 'root').map((pkg) => pypiPackageResult(pkg, file, dependsOn.has(pkg.id) ? { dependsOn: dependsOn.get(pkg.id) } : {}));
}

const byName =
  (name: string) =>
  (path: string): boolean =>
    hasBaseName(path, name);

export const pipRequirementsAnalyzer: Analyzer = {
  id: 'pip',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: 16 * 1024 * 1024,
  wants: byName('requirements.txt'),
  analyze: (files) => perFile(files, (file) => parseRequirements(file.content).map((pkg) => pypiPackageResult(pkg, file))),
};

export const pipenvLockAnalyzer: Analyzer = {
  id: 'pipenv',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: MAX_LOCKFILE,
  wants: byName('Pipfile.lock'),
  analyze: (files) => perFile(files, (file) => parsePipfileLock(file.content.toString('utf8'), file.path).map((pkg) => pypiPackageResult(pkg, file))),
};

export const poetryLockAnalyzer: Analyzer = {
  id: 'poetry',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: MAX_LOCKFILE,
  wants: byName('poetry.lock'),
  analyze: (files) => perFile(files, (file) => lockfilePackages(parsePoetryLock(file.content.toString('utf8'), file.path), file)),
};

export const uvLockAnalyzer: Analyzer = {
  id: 'uv',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: MAX_LOCKFILE,
  wants: byName('uv.lock'),
  analyze: (files) => perFile(files, (file) => lockfilePackages(parseUvLock(file.content.toString('utf8'), file.path), file)),
};

/**
 * Installed distributions: wheels' `*.dist-info/METADATA`, eggs' `*.egg-info/PKG-INFO`,
 * `EGG-INFO/PKG-INFO` and `*.egg-info` files (Trivy's list, less zipped `.egg` archives, which
 * setuptools has not installed by default since 2014 and pip never did).
 */
export const pythonPackageAnalyzer: Analyzer = {
  id: 'python-pkg',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: 8 * 1024 * 1024,
  wants: (path) => path.endsWith('.dist-info/METADATA') || path.endsWith('.egg-info/PKG-INFO') || path.endsWith('/EGG-INFO/PKG-INFO') || path.endsWith('.egg-info'),
  analyze: (files) => perFile(files, (file) => [pypiPackageResult(parsePythonMetadata(decodeText(file.content), file.path), file)]),
};
