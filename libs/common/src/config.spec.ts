import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config';

const schema = z.object({
  DATABASE_URL: env.url('postgres://postgres@127.0.0.1:5432/bulkhead', ['postgres:', 'postgresql:']),
  PORT: env.int(4000, { min: 1, max: 65535 }),
  BULKHEAD_PLUGINS: env.list(),
  DEBUG_SQL: env.bool(false),
});

describe('loadConfig', () => {
  it('applies defaults and coerces values', () => {
    expect(loadConfig(schema, { PORT: '8080', BULKHEAD_PLUGINS: 'a, b', DEBUG_SQL: 'yes' })).toEqual({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/bulkhead',
      PORT: 8080,
      BULKHEAD_PLUGINS: ['a', 'b'],
      DEBUG_SQL: true,
    });
  });

  it('names every bad variable and its value', () => {
    let error: unknown;
    try {
      loadConfig(schema, { DATABASE_URL: 'mysql://x', PORT: '70000' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('DATABASE_URL="mysql://x": must be a URL with protocol postgres: or postgresql:');
    expect((error as Error).message).toContain('PORT="70000"');
  });
});
