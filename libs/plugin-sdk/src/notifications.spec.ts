import { BadInputError } from './errors';
import { checkPlatformNotification, NOTIFICATION_LIMITS } from './notifications';

const good = { category: 'GATE_FAILED', severity: 'HIGH', title: 'promotion gate failed for reg/app:1', summary: '2 reason(s)' };

describe('checkPlatformNotification', () => {
  it('keeps the known fields and drops the rest', () => {
    expect(checkPlatformNotification({ ...good, subject: 'reg/app:1', link: 'https://ci.example/run/1', details: ['a', 'b'], team: 'someone-else' })).toEqual({
      ...good,
      subject: 'reg/app:1',
      link: 'https://ci.example/run/1',
      details: ['a', 'b'],
    });
  });

  it.each([
    [{ ...good, category: 'ANYTHING' }, /notification\.category: "ANYTHING" is not one of GATE_FAILED/],
    [{ ...good, severity: 'SEVERE' }, /notification\.severity/],
    [{ ...good, title: '' }, /notification\.title: empty/],
    [{ ...good, title: 'x'.repeat(NOTIFICATION_LIMITS.title + 1) }, /notification\.title: 201 characters, at most 200/],
    [{ ...good, summary: 7 }, /notification\.summary: expected a string/],
    [{ ...good, link: 'javascript:alert(1)' }, /notification\.link: not an http\(s\) URL/],
    [{ ...good, link: 'file:///etc/passwd' }, /notification\.link/],
    [{ ...good, details: 'one' }, /notification\.details: expected a list/],
    [{ ...good, details: Array.from({ length: 51 }, () => 'x') }, /notification\.details: 51 lines, at most 50/],
    [{ ...good, details: ['ok', 3] }, /notification\.details\[1\]: expected a string/],
    [null, /notification: expected an object/],
  ])('refuses %j naming the field', (value, message) => {
    expect(() => checkPlatformNotification(value)).toThrow(BadInputError);
    expect(() => checkPlatformNotification(value)).toThrow(message);
  });

  it('turns control characters into spaces (no forged lines in logs or chat)', () => {
    const event = checkPlatformNotification({ ...good, title: 'gate\nfailed\u001b[31m', details: ['a\r\nb'] });
    expect(event.title).toBe('gate failed [31m');
    expect(event.details).toEqual(['a  b']);
  });
});
