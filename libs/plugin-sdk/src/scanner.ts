import type { OsInfo, PackageResult, FindingResult } from './results';

/** One file of the image's final file system (after whiteouts) that an analyzer asked for. */
export interface AnalyzerFile {
  /** Path relative to the image root, without a leading slash: `var/lib/dpkg/status`. */
  path: string;
  content: Buffer;
  /** Digest of the layer the final version of this file came from. */
  layer: string;
}

export interface AnalyzerContext {
  /** OS detected by OS analyzers, available to package analyzers (they run after). */
  os?: OsInfo;
  /** Digest of the artifact being analysed, for findings' `target`. */
  artifactDigest: string;
}

export interface AnalyzerResult {
  os?: OsInfo;
  packages?: PackageResult[];
  findings?: FindingResult[];
}

/**
 * A scanner extension that looks at some files of the image's final file system. The scanner
 * streams every layer once and keeps only the files some analyzer `wants`, so analyzers must
 * ask narrowly: by exact path or a cheap prefix/suffix test.
 */
export interface Analyzer {
  /** Unique id, e.g. `dpkg`. */
  readonly id: string;
  /** Bumped when results change for the same input (part of result cache keys). */
  readonly version: string;
  /** OS analyzers run first so that package analyzers can use the detected OS. */
  readonly stage: 'os' | 'packages' | 'other';
  /** Largest file this analyzer accepts; larger wanted files are skipped with a warning. */
  readonly maxFileSize?: number;
  wants(path: string): boolean;
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): Promise<AnalyzerResult> | AnalyzerResult;
}
