import { readFileSync, writeFileSync } from 'node:fs';
import { printApiSchema, REGENERATE_SCHEMA_COMMAND, SCHEMA_FILE } from '@bulkhead/api';
import { builtinPluginPackages } from '@bulkhead/builtin-plugins';

describe('committed GraphQL schema', () => {
  // The core's types and every built-in plugin's (their api entries), as `bulkhead serve` serves them.
  it('matches the schema the code defines', async () => {
    const printed = await printApiSchema(builtinPluginPackages());
    if (process.env['BULKHEAD_WRITE_SCHEMA'] === '1') writeFileSync(SCHEMA_FILE, printed);
    let committed = '';
    try {
      committed = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      // Reported below as drift.
    }
    if (committed !== printed) {
      throw new Error(`${SCHEMA_FILE} differs from the schema defined in code. Regenerate it with \`${REGENERATE_SCHEMA_COMMAND}\` and commit it.`);
    }
  });
});
