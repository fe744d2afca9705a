import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CODEGEN_CONFIG } from '../codegen';

/**
 * The console's generated GraphQL types (src/gql) are committed; this fails when they are stale,
 * i.e. a query in the console or libs/api/schema.graphql changed without `npx nx run console:codegen`.
 * (An operation the schema does not have fails generation itself, naming the field.) Codegen runs
 * as its own process (it loads ES modules Jest cannot), into a temporary folder.
 */
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../../..');
const COMMITTED = path.join(ROOT, 'apps/console/src/gql');

it('the committed src/gql matches graphql-codegen run now over the schema and the console queries', async () => {
  const out = mkdtempSync(path.join(tmpdir(), 'bh-codegen-'));
  try {
    const [output] = Object.values(CODEGEN_CONFIG.generates ?? {});
    const config = path.join(out, 'codegen.json');
    writeFileSync(config, JSON.stringify({ ...CODEGEN_CONFIG, generates: { [`${out}/gql/`]: output } }));
    await promisify(execFile)(process.execPath, [path.join(ROOT, 'node_modules/@graphql-codegen/cli/cjs/bin.js'), '--config', config, '--silent'], { cwd: ROOT });
    const generated = readdirSync(path.join(out, 'gql')).sort();
    expect(readdirSync(COMMITTED).sort()).toEqual(generated);
    for (const name of generated) {
      expect([name, readFileSync(path.join(COMMITTED, name), 'utf8')]).toEqual([name, readFileSync(path.join(out, 'gql', name), 'utf8')]);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
