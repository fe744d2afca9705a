import { redactUrl, unreachable } from './startup-error';

describe('start-up errors', () => {
  it('hides passwords in URLs', () => {
    expect(redactUrl('postgres://bulkhead:secret@db:5432/bulkhead')).toBe('postgres://bulkhead:***@db:5432/bulkhead');
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('names the service, the URL, the cause and how to provide the service', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const error = unreachable('postgres', 'postgres://u:p@127.0.0.1:1/x', cause);
    expect(error.message).toContain('cannot connect to PostgreSQL at postgres://u:***@127.0.0.1:1/x (connect ECONNREFUSED 127.0.0.1:1)');
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).toContain('docker/compose.yaml');
    expect(unreachable('redis', 'redis://x:1', new AggregateError([new Error('boom')])).message).toContain('(boom). Set REDIS_URL');
  });
});
