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

describe('ServerInputPolicy: uploads named upload:<id>', () => {
  const ID = '3f2b8c1e-9a4d-4c6b-8e2f-1a2b3c4d5e6f';
  let dir = '';
  let policy: ServerInputPolicy;
  /** A scan-like task whose `source` wraps its path (`docker-archive:<path>`), and a list of paths. */
  const scan = {
    type: 'scan',
    serverInputs: (input: { source: string }) => ({ paths: [{ field: 'source', path: input.source.replace(/^docker-archive:/, '') }] }),
  };
  const bench = { type: 'bench', serverInputs: (input: { paths: string[] }) => ({ paths: input.paths.map((p, i) => ({ field: `paths.${i}`, path: p })) }) };
  const resolverOf = (team: string, files: Record<string, string>) => ({ team: () => team, path: async (id: string) => files[id] });

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulkhead-uploads-policy-'));
    mkdirSync(path.join(dir, 'allowed'));
    writeFileSync(path.join(dir, 'allowed', 'pod.yaml'), 'kind: Pod\n');
    policy = new ServerInputPolicy({ allowedPaths: [path.join(dir, 'allowed')], settings: {}, uploadDir: path.join(dir, 'uploads') });
    for (const team of ['a', 'b']) {
      mkdirSync(policy.teamUploadDir(team), { recursive: true });
      writeFileSync(path.join(policy.teamUploadDir(team), ID), 'x');
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rewrites the reference inside the field to the stored file, and accepts it for that team', async () => {
    const file = path.join(policy.teamUploadDir('a'), ID);
    await expect(policy.confine(scan, { source: `docker-archive:upload:${ID}` }, resolverOf('a', { [ID]: file }))).resolves.toEqual({ source: `docker-archive:${file}` });
    const pod = path.join(dir, 'allowed', 'pod.yaml');
    await expect(policy.confine(bench, { paths: [pod, `upload:${ID.toUpperCase()}`] }, resolverOf('a', { [ID]: file }))).resolves.toEqual({ paths: [pod, file] });
    // The worker's re-check of the rewritten input, with the task's team.
    await expect(policy.check(scan, { source: `docker-archive:${file}` }, { team: 'a' })).resolves.toBeUndefined();
  });

  it("refuses an id the team has no upload for, a malformed id, and another team's folder", async () => {
    const none = resolverOf('a', {});
    await expect(policy.confine(scan, { source: `docker-archive:upload:${ID}` }, none)).rejects.toThrow(new BadInputError(`source: no upload "${ID}" for this team`));
    await expect(policy.confine(bench, { paths: ['upload:../../etc/passwd'] }, none)).rejects.toThrow(new BadInputError('paths.0: no upload "../../etc/passwd" for this team'));
    // Without a resolver (the inline check, the worker) a reference is never taken for a path.
    await expect(policy.check(bench, { paths: [`upload:${ID}`] }, { team: 'a' })).rejects.toThrow(new BadInputError(`paths.0: no upload "${ID}" for this team`));
    const other = path.join(policy.teamUploadDir('b'), ID);
    await expect(policy.check(bench, { paths: [other] }, { team: 'a' })).rejects.toThrow(/is outside the folders this server allows/);
    await expect(policy.check(bench, { paths: [path.join(policy.teamUploadDir('a'), ID)] })).rejects.toThrow(/is outside the folders this server allows/);
  });

  it('names the field when a task cannot take an upload there (its field does not map back)', async () => {
    const odd = { type: 'odd', serverInputs: (input: { source: string }) => ({ paths: [{ field: 'source', path: input.source.toLowerCase() }] }) };
    await expect(policy.confine(odd, { source: `UPLOAD:${ID}` }, resolverOf('a', { [ID]: path.join(policy.teamUploadDir('a'), ID) }))).rejects.toThrow(new BadInputError('source: an upload cannot be named in this field'));
  });
});
