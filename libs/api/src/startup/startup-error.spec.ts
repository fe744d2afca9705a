import { DatabaseUnavailableError } from '@bulkhead/persistence';
import { PluginStartupError } from '@bulkhead/plugin-sdk/api';
import { RedisUnavailableError } from '@bulkhead/queue';
import { ApiStartupError, asStartupError } from './startup-error';

describe('asStartupError', () => {
  it('keeps the message of unreachable Postgres and Redis, which names the URL and how to provide one', () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:1');
    const pg = asStartupError(new DatabaseUnavailableError('postgres://u:secret@127.0.0.1:1/x', refused), { port: 4000, host: '0.0.0.0' });
    expect(pg).toBeInstanceOf(ApiStartupError);
    expect((pg as Error).message).toContain('postgres://u:***@127.0.0.1:1/x');
    expect((pg as Error).message).toContain('DATABASE_URL');
    const redis = asStartupError(new RedisUnavailableError('redis://127.0.0.1:1', refused), { port: 4000, host: '0.0.0.0' });
    expect((redis as Error).message).toContain('REDIS_URL');
  });

  it("reports a plugin module's start-up error as-is, also from another copy of the SDK", () => {
    class RulesError extends PluginStartupError {}
    const own = asStartupError(new RulesError('BULKHEAD_RUNTIME_RULES: the rules failed to load'), { port: 4000, host: '0.0.0.0' });
    expect(own).toBeInstanceOf(ApiStartupError);
    expect((own as Error).message).toBe('BULKHEAD_RUNTIME_RULES: the rules failed to load');
    // What a plugin's bundled SDK copy throws: another class with the same brand.
    const foreign = Object.assign(new Error('ACME_KEY: cannot read /etc/acme.key'), { [Symbol.for('bulkhead.plugin-startup-error')]: true });
    expect(asStartupError(foreign, { port: 4000, host: '0.0.0.0' })).toBeInstanceOf(ApiStartupError);
    expect(new PluginStartupError('x')).toBeInstanceOf(PluginStartupError);
    expect(new Error('x')).not.toBeInstanceOf(PluginStartupError);
  });

  it('explains a busy port and leaves bugs alone', () => {
    const busy = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect((asStartupError(busy, { port: 4000, host: '0.0.0.0' }) as Error).message).toBe('port 4000 on 0.0.0.0 is already in use: set PORT (and HOST) to a free one');
    const bug = new TypeError('x is undefined');
    expect(asStartupError(bug, { port: 1, host: 'h' })).toBe(bug);
  });
});
