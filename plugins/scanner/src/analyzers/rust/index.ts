import type { Analyzer, PackageResult } from '@bulkhead/plugin-sdk';
import { isExecutableCandidate, isOsPackageFileList, MAX_BINARY_SIZE, osPackageFiles } from '../golang/executable-paths';
import { readObjectFile } from '../golang/object-file';
import { skipUnreadable } from '../golang/skip-unreadable';
import { auditableSection, parseAuditableSection } from './auditable';
import { parseCargoLock } from './cargo-lock';
import { cratePackageResults } from './crate';

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

/**
 * Rust executables built with cargo-auditable, which embeds the crate list in a `.dep-v0`
 * section. Same candidate files as the Go binary analyzer (see golang/executable-paths.ts),
 * programs an OS package installed skipped; a file reached through two paths is read once.
 */
export const rustBinaryAnalyzer: Analyzer = {
  id: 'rustbinary',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: MAX_BINARY_SIZE,
  wants: (path) => isExecutableCandidate(path) || isOsPackageFileList(path),
  analyze(files) {
    const packages: PackageResult[] = [];
    const seen = new Set<Buffer>();
    const owned = osPackageFiles(files);
    for (const file of files) {
      if (seen.has(file.content) || owned.has(file.path) || isOsPackageFileList(file.path)) continue;
      seen.add(file.content);
      skipUnreadable(() => {
        const object = readObjectFile(file.content, file.path);
        const section = object && auditableSection(object);
        if (section) packages.push(...cratePackageResults(parseAuditableSection(section, file.path), file, 'binary'));
      });
    }
    return { packages };
  },
};
