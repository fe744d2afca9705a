import type { Analyzer } from '@bulkhead/plugin-sdk';
import { apkAnalyzer } from './apk';
import { dpkgAnalyzer } from './dpkg';
import { goBinaryAnalyzer, goModAnalyzer } from './golang';
import { jarAnalyzer, pomAnalyzer } from './java';
import { osReleaseAnalyzer } from './os-release';
import { composerAnalyzer } from './php';
import { bundlerAnalyzer } from './ruby';
import { cargoLockAnalyzer, rustBinaryAnalyzer } from './rust';

export * from './apk';
export * from './dpkg';
export * from './os-release';
export * as golang from './golang';
export * as java from './java';
export * as rust from './rust';
export * as php from './php';
export * as ruby from './ruby';
export * from './purl';
export { isValidDebianVersion } from './debian-version';

/** The analyzers the scanner always runs; plugins add more through `scanner.analyzer`. */
export const builtinAnalyzers: readonly Analyzer[] = [
  osReleaseAnalyzer,
  dpkgAnalyzer,
  apkAnalyzer,
  goModAnalyzer,
  goBinaryAnalyzer,
  jarAnalyzer,
  pomAnalyzer,
  cargoLockAnalyzer,
  rustBinaryAnalyzer,
  composerAnalyzer,
  bundlerAnalyzer,
];
