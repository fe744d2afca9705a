import { defaultRepeatStrategy } from 'bullmq';

/** Longest cron pattern / time zone name accepted (a pattern is at most six short fields). */
const MAX_CRON_LENGTH = 120;
const MAX_TIMEZONE_LENGTH = 64;

/**
 * Checks a cron pattern and IANA time zone with the parser BullMQ fires schedules with (so what
 * is accepted here is what runs), and returns the next firing. Throws an Error naming the problem.
 */
export function checkCron(cron: string, timezone: string): Date {
  if (cron.length === 0 || cron.length > MAX_CRON_LENGTH) throw new Error(`cron: expected a pattern of 1 to ${MAX_CRON_LENGTH} characters`);
  if (timezone.length === 0 || timezone.length > MAX_TIMEZONE_LENGTH) throw new Error(`timezone: expected an IANA time zone name of 1 to ${MAX_TIMEZONE_LENGTH} characters`);
  const fields = cron.trim().split(/\s+/).length;
  if (fields < 5 || fields > 6) throw new Error(`cron: ${JSON.stringify(cron)} has ${fields} fields; expected 5 (minute hour day month weekday) or 6 (with seconds first)`);
  try {
    // Refused here with a clear message; the cron parser's own error for an unknown zone names only a date.
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new Error(`timezone: ${JSON.stringify(timezone)} is not an IANA time zone name (e.g. "UTC", "Europe/Paris")`);
  }
  let next: number | undefined;
  try {
    next = defaultRepeatStrategy(Date.now(), { pattern: cron, tz: timezone });
  } catch (error) {
    throw new Error(`cron: ${JSON.stringify(cron)} is not a valid pattern: ${(error as Error).message}`, { cause: error });
  }
  if (next === undefined || !Number.isFinite(next)) throw new Error(`cron: ${JSON.stringify(cron)} never fires`);
  return new Date(next);
}
