import type { Analyzer, AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { findBuildInfo, goBinaryModules, parseModinfo } from './buildinfo';
import { ContentMemo } from './content-memo';
import { programAnalyzer } from './executable-paths';
import { parseGoMod, goModGoVersion } from './go-mod';
import { goModuleId, goPackageResults, type GoModule } from './go-module';
import { parseGoSum } from './go-sum';
import { readObjectFile } from './object-file';
import { skipUnreadable } from './skip-unreadable';

export { parseGoMod, type GoModOptions } from './go-mod';
export { parseGoSum } from './go-sum';
export { decodeBuildInfo, findBuildInfo, goBinaryModules, ldflagsVersion, parseModinfo, symbolVersion } from './buildinfo';
export { readObjectFile, objectFormat, type ObjectFile } from './object-file';
export { isExecutableCandidate, isOsPackageFileList, MAX_BINARY_SIZE, osPackageFiles } from './executable-paths';
export { goPurl, type GoModule, type Relationship } from './go-module';

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);
const dirName = (path: string): string => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

/**
 * go.mod files, with their sibling go.sum: a module whose go.mod says Go < 1.17 (or nothing)
 * does not list all its indirect requirements, so, as Trivy does, the go.sum's modules that the
 * go.mod does not name are added as indirect dependencies. A go.sum on its own is not read: it
 * lists every version ever checked, not what the program uses.
 */
export const goModAnalyzer: Analyzer = {
  id: 'gomod',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: 16 * 1024 * 1024,
  wants: (path) => {
    const name = baseName(path);
    return name === 'go.mod' || name === 'go.sum';
  },
  analyze(files) {
    const sums = new Map(files.filter((f) => baseName(f.path) === 'go.sum').map((f) => [dirName(f.path), f]));
    const packages: PackageResult[] = [];
    for (const file of files) {
      if (baseName(file.path) !== 'go.mod') continue;
      skipUnreadable(() => {
        const text = file.content.toString('utf8');
        const modules = parseGoMod(text, file.path);
        const sum = sums.get(dirName(file.path));
        const go = goModGoVersion(text, file.path);
        if (sum && (go === undefined || /^1\.(\d|1[0-6])(\D|$)/.test(go))) modules.push(...indirectFromSum(modules, parseGoSum(sum.content.toString('utf8'))));
        packages.push(...goPackageResults(modules, file, 'go.mod'));
      });
    }
    return { packages };
  },
};

function indirectFromSum(modules: readonly GoModule[], sum: readonly GoModule[]): GoModule[] {
  const known = new Set(modules.map((m) => m.name));
  return sum.filter((m) => !known.has(m.name)).map((m) => ({ id: goModuleId(m.name, m.version), name: m.name, version: m.version, relationship: 'indirect' as const }));
}

/**
 * Go executables' embedded build info (`go version -m`): stdlib version, main module and
 * dependencies. Which files: see executable-paths.ts (programAnalyzer).
 */
export const goBinaryAnalyzer: Analyzer = programAnalyzer('gobinary', '1.0.0', goBinaryPackages);

/** What each program gave, across the per-layer calls (see ContentMemo); a corrupt one gives its error again. */
const binaryMemo = new ContentMemo<GoModule[] | BadInputError>();

/** The modules a Go executable was built from, or none for another file. */
export function goBinaryPackages(file: AnalyzerFile): PackageResult[] {
  let modules = binaryMemo.get(file);
  if (modules === undefined) {
    try {
      modules = binaryMemo.set(file, goBinaryModulesOf(file));
    } catch (error) {
      if (!(error instanceof BadInputError)) throw error;
      modules = binaryMemo.set(file, error);
    }
  }
  if (modules instanceof BadInputError) throw modules;
  return goPackageResults(modules, file, 'binary');
}

function goBinaryModulesOf(file: AnalyzerFile): GoModule[] {
  const object = readObjectFile(file.content, file.path);
  if (!object) return [];
  const raw = findBuildInfo(object, file.path);
  if (!raw) return [];
  return goBinaryModules(parseModinfo(raw), object);
}
