/**
 * Bounds on what reading an image may cost. The defaults are far above anything a real image
 * needs (a debootstrap layer expands about 2.4:1; text-heavy layers rarely pass 10:1) but stop a
 * decompression bomb long before it fills memory or the disk of a worker.
 */
export interface ExtractionLimits {
  /** Uncompressed:compressed ratio a layer may not exceed once past `expansionFloorBytes`. */
  maxExpansionRatio: number;
  /** Uncompressed bytes a layer may produce before the ratio is enforced (small layers compress well). */
  expansionFloorBytes: number;
  /** Total uncompressed bytes over all layers of one image. */
  maxTotalUncompressedBytes: number;
  /** Largest wanted file kept in memory; larger ones are skipped with a warning. */
  maxWantedFileBytes: number;
  /**
   * Bytes of wanted files held in memory at once (the bodies the analyzers run on after the
   * walk): a file that would pass it is skipped with a warning. Bounds an image of many large
   * wanted files (hundreds of programs in `bin`), which the per-file limit alone does not.
   */
  maxWantedTotalBytes: number;
  /** Largest manifest, index or config JSON accepted. */
  maxJsonBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ExtractionLimits> = Object.freeze({
  maxExpansionRatio: 200,
  expansionFloorBytes: 256 * 1024 * 1024,
  maxTotalUncompressedBytes: 64 * 1024 * 1024 * 1024,
  maxWantedFileBytes: 64 * 1024 * 1024,
  maxWantedTotalBytes: 1024 * 1024 * 1024,
  maxJsonBytes: 16 * 1024 * 1024,
});

export function resolveLimits(limits: Partial<ExtractionLimits> | undefined): ExtractionLimits {
  return { ...DEFAULT_LIMITS, ...(limits ?? {}) };
}
