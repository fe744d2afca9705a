/**
 * Bounds every reader applies, so that hostile input (zip bombs, giant lines, deep nesting)
 * ends in a clear rejection instead of unbounded memory or time. The defaults are far above
 * what real advisory data needs: the largest OSV records (Linux kernel CVEs with long
 * `versions` lists) are a few MiB; osv.dev's biggest per-ecosystem `all.zip` holds a few
 * hundred thousand records and a few GiB uncompressed.
 */
export interface ImportLimits {
  /** Largest single record: a `.json` file, a JSON-lines line, a zip entry (uncompressed). */
  maxRecordBytes: number;
  /** Deepest JSON nesting accepted (OSV records nest about 6 deep). */
  maxJsonDepth: number;
  /** Most entries in one zip archive. */
  maxZipEntries: number;
  /** Most bytes all entries of one zip may decompress to. */
  maxZipTotalBytes: number;
  /**
   * Largest ratio of declared uncompressed bytes (running total) to the archive's size. Deflate
   * alone cannot exceed ~1032:1 per entry and JSON compresses ~10-20:1; archives above this
   * overlap entries or lie about sizes (zip bombs). Checked once the total passes
   * `zipRatioGraceBytes`, so tiny archives of tiny files are never refused for their ratio.
   */
  maxZipRatio: number;
  zipRatioGraceBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_IMPORT_LIMITS: Readonly<ImportLimits> = {
  maxRecordBytes: 32 * MiB,
  maxJsonDepth: 64,
  maxZipEntries: 2_000_000,
  maxZipTotalBytes: 16 * 1024 * MiB,
  maxZipRatio: 200,
  zipRatioGraceBytes: 64 * MiB,
};

export function importLimits(overrides?: Partial<ImportLimits>): ImportLimits {
  return { ...DEFAULT_IMPORT_LIMITS, ...overrides };
}

/** `33554432` → `32 MiB`, for messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${(bytes / (1024 * MiB)).toFixed(bytes % (1024 * MiB) === 0 ? 0 : 1)} GiB`;
  if (bytes >= MiB) return `${(bytes / MiB).toFixed(bytes % MiB === 0 ? 0 : 1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(bytes % 1024 === 0 ? 0 : 1)} KiB`;
  return `${bytes} bytes`;
}
