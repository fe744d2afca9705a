import { z } from 'zod';

/*
 * The runtime plugin's configuration in the API process: environment variables validated by the
 * host at start-up with the core's (a bad value stops the process naming the variable). The
 * request body limit (BULKHEAD_MAX_EVENT_BODY_BYTES) is the host's setting, read through its
 * body reader, because every plugin route shares it.
 */

/** Unset or blank: undefined; otherwise the trimmed text. */
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const optionalHttpUrl = optionalText.refine((value) => {
  if (value === undefined) return true;
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http: or https: URL');

/** Comma-separated, blanks dropped (`a.yaml, b.yaml` → two files). */
const commaList = z
  .string()
  .optional()
  .transform((value) => (value === undefined ? [] : value.split(',').map((s) => s.trim()).filter(Boolean)));

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .optional()
  .transform((value) => value !== undefined && ['true', '1', 'yes'].includes(value));

/** A whole number within bounds; unset or blank: the fallback. */
function count<Fallback extends number | undefined>(fallback: Fallback, min: number, max: number) {
  return optionalText.pipe(
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .optional(),
  ).transform((value): number | Fallback => value ?? fallback);
}

export const runtimeApiConfig = z.object({
  /** Falco rules files, comma-separated, loaded once at start-up in this order. None: ingest answers 503. */
  BULKHEAD_RUNTIME_RULES: commaList,
  /** POST every new alert as JSON to this URL (Falco's http_output, e.g. falcosidekick). */
  BULKHEAD_ALERT_WEBHOOK_URL: optionalHttpUrl,
  /** Append every new alert as a JSON line to this file (Falco's file_output). */
  BULKHEAD_ALERT_FILE: optionalText,
  /** Print every new alert as a JSON line on stdout (Falco's stdout_output). */
  BULKHEAD_ALERT_STDOUT: flag,
  /** Most alerts one ingest request may store; a request that would store more is refused (413). */
  BULKHEAD_MAX_FINDINGS_PER_REQUEST: count(1000, 1, 1_000_000),
  /** Delete runtime alerts not seen for this many days (checked hourly). Unset: keep them. */
  BULKHEAD_ALERT_RETENTION_DAYS: count(undefined, 1, 36_500),
});

export type RuntimeApiConfig = z.output<typeof runtimeApiConfig>;
