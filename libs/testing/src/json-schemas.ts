import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { repoRoot } from './paths';

/**
 * The documented JSON schemas of the CLI's reports (docs/schemas/<command>.schema.json), compiled
 * once with Ajv's draft 2020-12 in strict mode: the unit test that runs commands inline
 * (apps/cli/src/json-schemas.spec.ts) and the integration tests of commands that need a service
 * (a registry) validate against the same schemas with the same validator.
 */
export const docsSchemaDir = path.join(repoRoot, 'docs', 'schemas');

let ajv: Ajv2020 | undefined;

/** The Ajv instance with every docs/schemas/*.schema.json added under its file name. */
export function docsSchemas(): Ajv2020 {
  if (ajv) return ajv;
  const created = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  addFormats(created);
  for (const file of readdirSync(docsSchemaDir).filter((f) => f.endsWith('.schema.json'))) created.addSchema(JSON.parse(readFileSync(path.join(docsSchemaDir, file), 'utf8')), file);
  ajv = created;
  return created;
}

/** The validator of docs/schemas/<name>.schema.json (`name` without the suffix); throws when there is none. */
export function docsSchema(name: string): ValidateFunction {
  const validate = docsSchemas().getSchema(`${name}.schema.json`);
  if (!validate) throw new Error(`no schema docs/schemas/${name}.schema.json`);
  return validate;
}

/** Validates a command's JSON report: `{ valid: true, errors: null }` or the errors Ajv found. */
export function validateReport(name: string, json: unknown): { valid: boolean; errors: ErrorObject[] | null } {
  const validate = docsSchema(name);
  const valid = validate(json) as boolean;
  return { valid, errors: valid ? null : [...(validate.errors ?? [])] };
}
