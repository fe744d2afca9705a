import { BadInputError } from '@bulkhead/plugin-sdk';

/**
 * Runs the analysis of one file, skipping the file when it is malformed (a BadInputError naming
 * the file and line): one broken lockfile or truncated binary in an image must not fail the
 * inventory of everything else, as in Trivy, which logs and goes on. Anything else is a bug and
 * propagates. Returns the error it skipped, for callers and tests that want to show it.
 *
 * The SDK's AnalyzerResult has no warnings channel yet, so the message goes no further than
 * the caller; used by every language analyzer (Go, Java, Rust, PHP, Ruby).
 */
export function skipUnreadable(analyze: () => void): BadInputError | undefined {
  try {
    analyze();
    return undefined;
  } catch (error) {
    if (error instanceof BadInputError) return error;
    throw error;
  }
}
