import { ConfigError } from '@bulkhead/common';
import { loadApiConfig } from '../config';

describe('BULKHEAD_METRICS_TOKEN', () => {
  it('is optional: without it only admin API tokens scrape', () => {
    expect(loadApiConfig({}).BULKHEAD_METRICS_TOKEN).toBeUndefined();
  });

  it('accepts a long random token', () => {
    const token = 'a'.repeat(16) + '0123456789abcdef0123';
    expect(loadApiConfig({ BULKHEAD_METRICS_TOKEN: token }).BULKHEAD_METRICS_TOKEN).toBe(token);
  });

  it.each([
    ['short', 'at least 32 characters'],
    [`${'x'.repeat(20)} ${'y'.repeat(20)}`, 'no whitespace'],
  ])('refuses %j naming the variable and the problem', (value, problem) => {
    const load = () => loadApiConfig({ BULKHEAD_METRICS_TOKEN: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/BULKHEAD_METRICS_TOKEN/);
    expect(load).toThrow(new RegExp(problem));
  });
});
