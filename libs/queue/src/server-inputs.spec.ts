import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError, type ServerInputs } from '@bulkhead/plugin-sdk';
import { parseAllowedPaths, ServerInputPolicy } from './server-inputs';

/** A task definition that reaches what `reach` says. */
const task = (reach: ServerInputs) => ({ type: 'probe', serverInputs: () => reach });
const paths = (...values: string[]) => task({ paths: values.map((p, i) => ({ field: `paths.${i}`, path: p })) });

describe('ServerInputPolicy', () => {
  let dir = '';
  let allowed = '';
  let policy: ServerInputPolicy;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-policy-'));
    allowed = path.join(dir, 'allowed');
    mkdirSync(path.join(allowed, 'sub'), { recursive: true });
    mkdirSync(path.join(dir, 'allowed-sibling'));
    mkdirSync(path.join(dir, 'outside'));
    writeFileSync(path.join(allowed, 'sub', 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(path.join(allowed, '..hidden'), 'x');
    writeFileSync(path.join(dir, 'outside', 'secret'), 'x');
    symlinkSync(path.join(dir, 'outside'), path.join(allowed, 'escape'));
    symlinkSync(path.join(allowed, 'sub'), path.join(allowed, 'inner-link'));
    policy = new ServerInputPolicy({ allowedPaths: [allowed], settings: {} });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts paths inside an allowed folder, through links that stay inside, and names starting with ..', async () => {
    await expect(policy.check(paths(allowed, path.join(allowed, 'sub/Dockerfile'), path.join(allowed, 'inner-link/Dockerfile'), path.join(allowed, '..hidden')), {})).resolves.toBeUndefined();
  });

  it('refuses / , /etc, a sibling folder with the same prefix and .. escapes, without looking at them', async () => {
    for (const p of ['/', '/etc', '/etc/shadow', path.join(dir, 'allowed-sibling'), path.join(allowed, '../outside/secret')]) {
      await expect(policy.check(paths(p), {})).rejects.toThrow(new BadInputError(`paths.0: ${JSON.stringify(p)} is outside the folders this server allows (BULKHEAD_ALLOWED_PATHS)`));
    }
  });

  it('refuses a path that leads out through a symbolic link', async () => {
    await expect(policy.check(paths(path.join(allowed, 'escape/secret')), {})).rejects.toThrow(/leads \(through a symbolic link\) outside/);
    await expect(policy.check(paths(path.join(allowed, 'escape')), {})).rejects.toThrow(/leads \(through a symbolic link\) outside/);
  });

  it('refuses relative paths, missing files, NUL and line breaks, naming the field', async () => {
    await expect(policy.check(paths('sub/Dockerfile'), {})).rejects.toThrow('paths.0: "sub/Dockerfile" must be an absolute path on the server');
    await expect(policy.check(paths(path.join(allowed, 'nope')), {})).rejects.toThrow(/paths.0: ".*nope" does not exist or cannot be read/);
    await expect(policy.check(paths(`${allowed}/a\0b`), {})).rejects.toThrow('paths.0: a path must not contain NUL or line breaks');
    await expect(policy.check(paths(`${allowed}/a\nb`), {})).rejects.toThrow(/NUL or line breaks/);
  });

  it('with no allowed folders (the default) refuses every server-side path and says how to allow one', async () => {
    const none = ServerInputPolicy.fromEnv({});
    await expect(none.check(paths(allowed), {})).rejects.toThrow(
      'paths.0: server-side paths are refused: this server allows none (the operator can allow folders with BULKHEAD_ALLOWED_PATHS=/dir1,/dir2)',
    );
    await expect(none.check(task({}), {})).resolves.toBeUndefined();
    await expect(none.check({ type: 'plain' }, {})).resolves.toBeUndefined();
  });

  it('refuses trusted fields from clients and tasks the operator has not turned on', async () => {
    await expect(policy.check(task({ trustedFields: ['cfgDir'] }), {})).rejects.toThrow('cfgDir: not accepted from clients on a server');
    await expect(policy.check(task({ requiresSetting: 'BULKHEAD_ENABLE_PROBES' }), {})).rejects.toThrow(
      'task probe is turned off on this server; the operator can turn it on with BULKHEAD_ENABLE_PROBES=true',
    );
    const on = new ServerInputPolicy({ allowedPaths: [], settings: { BULKHEAD_ENABLE_PROBES: 'true' } });
    await expect(on.check(task({ requiresSetting: 'BULKHEAD_ENABLE_PROBES' }), {})).resolves.toBeUndefined();
    await expect(on.check(task({ requiresSetting: 'DATABASE_URL' }), {})).rejects.toThrow(/not a BULKHEAD_ENABLE_\.\.\. name/);
  });

  it('reads BULKHEAD_ALLOWED_PATHS as a comma-separated list of absolute folders', () => {
    expect(parseAllowedPaths(' /data/images, /srv/manifests ,,')).toEqual(['/data/images', '/srv/manifests']);
    expect(parseAllowedPaths(undefined)).toEqual([]);
    expect(() => ServerInputPolicy.fromEnv({ BULKHEAD_ALLOWED_PATHS: 'relative/dir' })).toThrow('BULKHEAD_ALLOWED_PATHS: "relative/dir" is not an absolute path');
  });
});
