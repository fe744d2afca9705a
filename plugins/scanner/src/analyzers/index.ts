import type { Analyzer } from '@bulkhead/plugin-sdk';
import { apkAnalyzer } from './apk';
import { dpkgAnalyzer } from './dpkg';
import { goBinaryAnalyzer, goModAnalyzer } from './golang';
import { jarAnalyzer, pomAnalyzer } from './java';
import { nodePackageAnalyzer, npmLockAnalyzer, pnpmLockAnalyzer, yarnLockAnalyzer } from './node';
import { osReleaseAnalyzer } from './os-release';
import { composerAnalyzer } from './php';
import { pipenvLockAnalyzer, pipRequirementsAnalyzer, poetryLockAnalyzer, pythonPackageAnalyzer, uvLockAnalyzer } from './python';
import { rpmAnalyzer, rpmqaAnalyzer } from './rpm';
import { bundlerAnalyzer } from './ruby';
import { cargoLockAnalyzer, rustBinaryAnalyzer } from './rust';

export * from './apk';
export * from './dpkg';
export * from './node';
export * from './os-release';
export * as golang from './golang';
export * as java from './java';
export * as rust from './rust';
export * as php from './php';
export * as ruby from './ruby';
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
  goModAnalyzer,
  goBinaryAnalyzer,
  jarAnalyzer,
  pomAnalyzer,
  cargoLockAnalyzer,
  rustBinaryAnalyzer,
  composerAnalyzer,
  bundlerAnalyzer,
];
