import { BadInputError } from '@bulkhead/plugin-sdk';
import { readFile } from 'node:fs/promises';
import { isPermanentFailure } from './permanent-failure';

describe('isPermanentFailure', () => {
  it('does not retry input errors and unreadable input paths', async () => {
    expect(isPermanentFailure(new BadInputError('bad source'))).toBe(true);
    const missing = await readFile('/nonexistent/bulkhead-permanent-failure').catch((error: unknown) => error);
    expect(isPermanentFailure(missing)).toBe(true);
    const directory = await readFile('/').catch((error: unknown) => error);
    expect(isPermanentFailure(directory)).toBe(true);
  });

  it('retries everything else', () => {
    expect(isPermanentFailure(new Error('connection terminated unexpectedly'))).toBe(false);
    expect(isPermanentFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isPermanentFailure(undefined)).toBe(false);
  });
});
