import { QueryFailedError } from 'typeorm';
import { Writable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { authenticationMiddleware } from '../auth/auth.middleware';
import type { Authenticator } from '../auth/authenticator';
import { formatGraphqlError } from '../graphql/hardening';
import { isDatabaseUnavailable } from './database-unavailable';

const pgError = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('recognises a server that is down, restarting or unreachable, however it is wrapped', () => {
    expect(isDatabaseUnavailable(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('57P03', 'the database system is starting up'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError('SELECT 1', [], pgError('08006')))).toBe(true);
    expect(isDatabaseUnavailable(new Error('query failed', { cause: new AggregateError([pgError('ECONNREFUSED')]) }))).toBe(true);
  });

  it('leaves statement errors and bugs alone', () => {
    expect(isDatabaseUnavailable(pgError('23505', 'duplicate key value violates unique constraint'))).toBe(false);
    expect(isDatabaseUnavailable(pgError('42P01', 'relation "task" does not exist'))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
  });
});

const logger = { warn: () => undefined, error: () => undefined } as never;

describe('while Postgres is down', () => {
  it('a GraphQL error says SERVICE_UNAVAILABLE without the address, not an internal error', () => {
    const format = formatGraphqlError(false, logger);
    const formatted = format({ message: 'connect ECONNREFUSED 127.0.0.1:5432', path: ['submitTask'] }, { originalError: pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432') });
    expect(formatted).toEqual({ message: 'the database is unavailable; retry shortly', path: ['submitTask'], extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(format({ message: 'boom' }, { originalError: new TypeError('boom') }).extensions?.['code']).toBe('INTERNAL_SERVER_ERROR');
  });

  it('the token lookup answers 503 with Retry-After; another failure still goes to the error handler', async () => {
    const respond = async (error: Error): Promise<{ status: number; headers: Record<string, unknown>; body: string; passed?: unknown }> => {
      let body = '';
      const res = Object.assign(new Writable({ write: (chunk, _enc, done) => ((body += String(chunk)), done()) }), {
        statusCode: 200,
        headers: {} as Record<string, unknown>,
        setHeader(name: string, value: unknown) {
          this.headers[name.toLowerCase()] = value;
        },
      });
      const authenticator = { fromHeader: () => Promise.reject(error) } as unknown as Authenticator;
      const passed = await new Promise<unknown>((resolve) => {
        res.on('finish', () => resolve(undefined));
        authenticationMiddleware(authenticator)({ headers: { authorization: 'Bearer bhk_x' } } as never, res as unknown as ServerResponse, resolve);
      });
      return { status: res.statusCode, headers: res.headers, body, passed };
    };
    const down = await respond(pgError('ECONNREFUSED'));
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(JSON.parse(down.body)).toEqual({ errors: [{ message: 'the database is unavailable; retry shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    const bug = new TypeError('bug');
    expect((await respond(bug)).passed).toBe(bug);
  });
});
