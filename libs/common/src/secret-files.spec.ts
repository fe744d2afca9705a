import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from './config';
import { applySecretFiles } from './secret-files';

describe('applySecretFiles', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bh-secret-files-'));
    writeFileSync(path.join(dir, 'db'), 'postgres://u:p@db:5432/bulkhead\n');
    writeFileSync(path.join(dir, 'key'), 'c2VjcmV0');
    writeFileSync(path.join(dir, 'empty'), '\n');
    writeFileSync(path.join(dir, 'big'), 'x'.repeat(70_000));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads NAME from NAME_FILE for our variables and the service URLs, dropping one trailing newline', () => {
    const env: NodeJS.ProcessEnv = { DATABASE_URL_FILE: path.join(dir, 'db'), BULKHEAD_SIGNER_MASTER_KEY_FILE: path.join(dir, 'key'), HOME_FILE: path.join(dir, 'db') };
    expect(applySecretFiles(env).sort()).toEqual(['BULKHEAD_SIGNER_MASTER_KEY', 'DATABASE_URL']);
    expect(env['DATABASE_URL']).toBe('postgres://u:p@db:5432/bulkhead');
    expect(env['BULKHEAD_SIGNER_MASTER_KEY']).toBe('c2VjcmV0');
    // Not ours: left alone.
    expect(env['HOME']).toBeUndefined();
  });

  it('refuses both forms, an unreadable, empty or oversized file, naming the variable and not the value', () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ REDIS_URL: 'redis://x', REDIS_URL_FILE: path.join(dir, 'db') }, /^REDIS_URL and REDIS_URL_FILE are both set: give one$/],
      [{ REDIS_URL_FILE: path.join(dir, 'missing') }, /^REDIS_URL_FILE: cannot read .*missing \(ENOENT\)$/],
      [{ BULKHEAD_TOKEN_FILE: path.join(dir, 'empty') }, /^BULKHEAD_TOKEN_FILE: .*empty is empty$/],
      [{ BULKHEAD_TOKEN_FILE: path.join(dir, 'big') }, /larger than 65536 bytes/],
    ];
    for (const [env, message] of cases) {
      expect(() => applySecretFiles(env)).toThrow(ConfigError);
      expect(() => applySecretFiles({ ...env })).toThrow(message);
    }
  });
});
