import { checkCron } from './schedule-cron';

describe('checkCron', () => {
  it('returns the next firing of a valid pattern in its time zone', () => {
    const next = checkCron('0 3 * * *', 'UTC');
    expect(next.getUTCHours()).toBe(3);
    expect(next.getUTCMinutes()).toBe(0);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    const paris = checkCron('0 3 * * *', 'Europe/Paris');
    expect(paris.getUTCHours()).not.toBe(3);
  });

  it('accepts a six-field pattern (seconds first)', () => {
    const next = checkCron('* * * * * *', 'UTC');
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(1_000);
  });

  it.each([
    ['not a cron', 'UTC', /cron: .* has 3 fields/],
    ['61 * * * *', 'UTC', /cron: "61 \* \* \* \*" is not a valid pattern/],
    ['* * * * * * *', 'UTC', /has 7 fields/],
    ['', 'UTC', /cron: expected a pattern/],
    ['* * * * *', 'Mars/Olympus', /timezone: "Mars\/Olympus" is not an IANA time zone/],
    ['* * * * *', '', /timezone: expected/],
    ['x'.repeat(500), 'UTC', /cron: expected a pattern of 1 to 120/],
  ])('refuses %j in %j', (cron, tz, message) => {
    expect(() => checkCron(cron, tz)).toThrow(message);
  });
});
