import { z } from 'zod';
import { checkRegistryConfig, harborApiConfig } from '../harbor/config';
import { ADVISORY_FEEDS_SETTING, parseFeedAllowList } from '../tasks/advisory-feeds';

/*
 * The scanner plugin's configuration in the API process, validated by the host at start-up
 * with the core's (a bad value stops the process naming the variable). The worker reads the
 * same BULKHEAD_ADVISORY_FEEDS again before it fetches anything (tasks/update-advisories.ts).
 */
export const scannerApiConfig = z.object({
  /** Advisory feeds updateAdvisories may fetch (comma-separated http(s) URLs); unset: none (see tasks/advisory-feeds.ts). */
  [ADVISORY_FEEDS_SETTING]: z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return parseFeedAllowList(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
  // The Harbor adapter's settings (../harbor/config.ts).
  ...harborApiConfig.shape,
}).superRefine(checkRegistryConfig);

export type ScannerApiConfig = z.output<typeof scannerApiConfig>;
