import type { OsInfo, PackageResult, FindingResult } from './results';

/** One file of the image's final file system (after whiteouts) that an analyzer asked for. */
export interface AnalyzerFile {
  /** Path relative to the image root, without a leading slash: `var/lib/dpkg/status`. */
  path: string;
  content: Buffer;
  /**
   * Digest of the layer the final version of this file came from; undefined when the artifact
   * has no layers (a root file system).
   */
  layer?: string;
}

export interface AnalyzerContext {
  /** OS detected by OS analyzers, available to package analyzers (they run after). */
  os?: OsInfo;
  /**
   * Digest of the artifact being analysed, for findings' `target`. Empty while analysing a root
   * file system, whose digest is derived from what the analyzers read.
   */
  artifactDigest: string;
  /** Aborted when the task is cancelled. */
  signal?: AbortSignal;
}

export interface AnalyzerResult {
  os?: OsInfo;
  packages?: PackageResult[];
  findings?: FindingResult[];
  /**
   * Wanted files the analyzer skipped without failing the scan, each naming the file and the
   * problem (`app/package-lock.json:3:7: JSON decode error ...`): images hold malformed files
   * (test fixtures inside node_modules) that must not cost the rest of the inventory.
   */
  warnings?: string[];
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
  /**
   * Called for every path of the image (root-relative, `var/lib/dpkg/status`): must be cheap.
   * Wanted paths that are symlinks are resolved inside the image root.
   */
  wants(path: string): boolean;
  /**
   * Package analyzers may be called once per layer that changed one of their files (with the
   * files as they stood after that layer) so the scanner can tell which layer introduced each
   * package version; they must therefore be pure functions of their input.
   */
  analyze(files: readonly AnalyzerFile[], ctx: AnalyzerContext): Promise<AnalyzerResult> | AnalyzerResult;
}
