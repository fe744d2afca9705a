import { env } from '@bulkhead/common';
import { z } from 'zod';

const optionalHttpUrl = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()))
  .refine((value) => {
    if (value === undefined) return true;
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be an http: or https: URL');

/**
 * Runtime detection in the API process (the /k8s-audit, /events and /falco-alerts endpoints).
 * Spread into the API's configuration schema, so the variables are validated with the others.
 */
export const runtimeConfigFields = {
  /** Falco rules files, comma-separated, loaded once at start-up in this order. None: ingest answers 503. */
  BULKHEAD_RUNTIME_RULES: env.list(),
  /** POST every new alert as JSON to this URL (Falco's http_output, e.g. falcosidekick). */
  BULKHEAD_ALERT_WEBHOOK_URL: optionalHttpUrl,
  /** Append every new alert as a JSON line to this file (Falco's file_output). */
  BULKHEAD_ALERT_FILE: z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim())),
  /** Print every new alert as a JSON line on stdout (Falco's stdout_output). */
  BULKHEAD_ALERT_STDOUT: env.bool(false),
};
