import type { Analyzer, AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { ContentMemo } from '../golang/content-memo';
import { programAnalyzer } from '../golang/executable-paths';
import { readObjectFile } from '../golang/object-file';
import { skipUnreadable } from '../golang/skip-unreadable';
import { auditableSection, parseAuditableSection } from './auditable';
import { parseCargoLock } from './cargo-lock';
import { cratePackageResults, type Crate } from './crate';

export { parseCargoLock } from './cargo-lock';
export { parseAuditableSection } from './auditable';
export type { Crate } from './crate';

/** Cargo.lock files: every locked crate (Trivy reads them in images and file systems alike). */
export const cargoLockAnalyzer: Analyzer = {
  id: 'cargo',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: 16 * 1024 * 1024,
  wants: (path) => path === 'Cargo.lock' || path.endsWith('/Cargo.lock'),
  analyze(files) {
    const packages: PackageResult[] = [];
    for (const file of files) {
      skipUnreadable(() => packages.push(...cratePackageResults(parseCargoLock(file.content.toString('utf8'), file.path), file, 'Cargo.lock')));
    }
    return { packages };
  },
};

/** What each program gave, across the per-layer calls (see ContentMemo); a corrupt one gives its error again. */
const binaryMemo = new ContentMemo<Crate[] | BadInputError>();

function binaryCrates(file: AnalyzerFile): Crate[] {
  let crates = binaryMemo.get(file);
  if (crates === undefined) {
    try {
      const object = readObjectFile(file.content, file.path);
      const section = object && auditableSection(object);
      crates = binaryMemo.set(file, section ? parseAuditableSection(section, file.path) : []);
    } catch (error) {
      if (!(error instanceof BadInputError)) throw error;
      crates = binaryMemo.set(file, error);
    }
  }
  if (crates instanceof BadInputError) throw crates;
  return crates;
}

/**
 * Rust executables built with cargo-auditable, which embeds the crate list in a `.dep-v0`
 * section. Same candidate files as the Go binary analyzer (golang/executable-paths.ts).
 */
export const rustBinaryAnalyzer: Analyzer = programAnalyzer('rustbinary', '1.0.0', (file) => cratePackageResults(binaryCrates(file), file, 'binary'));
