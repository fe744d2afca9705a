import type { Analyzer } from '@bulkhead/plugin-sdk';
import { apkAnalyzer } from './apk';
import { dpkgAnalyzer } from './dpkg';
import { nodePackageAnalyzer, npmLockAnalyzer, pnpmLockAnalyzer, yarnLockAnalyzer } from './node';
import { osReleaseAnalyzer } from './os-release';
import { pipenvLockAnalyzer, pipRequirementsAnalyzer, poetryLockAnalyzer, pythonPackageAnalyzer, uvLockAnalyzer } from './python';
import { rpmAnalyzer, rpmqaAnalyzer } from './rpm';

export * from './apk';
export * from './dpkg';
export * from './node';
export * from './os-release';
export * from './purl';
export * from './python';
export * from './rpm';
export { isValidDebianVersion } from './debian-version';

/** The analyzers the scanner always runs; plugins add more through `scanner.analyzer`. */
export const builtinAnalyzers: readonly Analyzer[] = [
  osReleaseAnalyzer,
  dpkgAnalyzer,
  apkAnalyzer,
  rpmAnalyzer,
  rpmqaAnalyzer,
  npmLockAnalyzer,
  yarnLockAnalyzer,
  pnpmLockAnalyzer,
  nodePackageAnalyzer,
  pipRequirementsAnalyzer,
  pipenvLockAnalyzer,
  poetryLockAnalyzer,
  uvLockAnalyzer,
  pythonPackageAnalyzer,
];
