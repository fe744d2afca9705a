export { npmLockAnalyzer, yarnLockAnalyzer, pnpmLockAnalyzer, nodePackageAnalyzer } from './analyzers';
export { parsePackageLock } from './package-lock';
export { parseYarnLock, parseYarnPattern } from './yarn-lock';
export { parsePnpmLock } from './pnpm-lock';
export { parsePackageJson, type PackageJson } from './package-json';
export type { LockPackage, LockDependency, ParsedLockfile, Relationship } from './lock-package';
