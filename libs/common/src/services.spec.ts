import { redactUrl, ServiceUnavailableError } from './services';

describe('redactUrl', () => {
  it('hides only the password', () => {
    expect(redactUrl('postgres://bulkhead:s3cret@db:5432/bulkhead')).toBe('postgres://bulkhead:***@db:5432/bulkhead');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactUrl('not a url')).toBe('not a url');
  });
});

describe('ServiceUnavailableError', () => {
  it('names the service, the redacted URL, the cause, the variable and how to start one', () => {
    const error = new ServiceUnavailableError(
      { name: 'Redis', url: 'redis://:pw@cache:6379', variable: 'REDIS_URL', howToStart: '`redis-server`' },
      new Error('ECONNREFUSED'),
    );
    expect(error.message).toBe('cannot connect to Redis at redis://:***@cache:6379 (ECONNREFUSED). Set REDIS_URL to a reachable Redis, or start one: `redis-server`.');
  });
});
