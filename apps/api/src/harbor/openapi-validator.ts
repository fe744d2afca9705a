import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';

/*
 * Checks answers of the Harbor adapter against Harbor's pluggable scanner OpenAPI document
 * (v1.2), parsed from the YAML at test time. Every answer's status must be one the operation
 * documents; its Content-Type must be exactly one of that response's media types (none when the
 * response documents no content, and then no body either); its body must validate against that
 * media type's schema; documented headers must validate against their schemas.
 *
 * The document is OpenAPI 3.0, whose Schema Object is not quite JSON Schema; its quirks
 * (/work/shared/peers/harbor-scanner-spec/SOURCE.md and what parsing the YAML shows) are handled
 * here, each on purpose:
 * - `nullable: true` (ScanRequest.enabled_capabilities[].parameters) is OpenAPI's, not JSON
 *   Schema's: rewritten as `anyOf: [{type: 'null'}, <schema>]`, which means the same.
 * - `example` and `descriptions` (a typo for `description` on additional_attributes) are
 *   annotations: declared as keywords that assert nothing, so strict mode still catches any
 *   other unknown keyword (a typo in a keyword that constrains would fail loudly).
 * - `format: url` (Registry.url) is no JSON Schema format: it is checked as an absolute URL
 *   (what the field's description says, "A base URL"). `format: float` on numbers is OpenAPI's
 *   data type note: any finite number. `format: uri` on the `links` array itself applies to
 *   strings only (JSON Schema ignores it on arrays); its items carry their own `format: uri`.
 * - the `sbom_media_type` query parameter has `enum` beside `schema` instead of inside it:
 *   `queryParameter()` validates a value against the union of both, so the enum is enforced.
 * - 302's `Refresh-After` header (not `Retry-After`, which the README's example wrongly shows).
 */

type Json = Record<string, unknown>;

export interface OpenApiAnswer {
  status: number;
  headers: Headers;
  body: string;
}

function rewriteNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) if (key !== 'nullable') out[key] = rewriteNullable(value);
  if ((node as Json)['nullable'] === true) return { anyOf: [{ type: 'null' }, out] };
  return out;
}

export class HarborOpenApi {
  readonly document: Json;
  private readonly ajv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(file: string) {
    this.document = load(readFileSync(file, 'utf8')) as Json;
    if (this.document['openapi'] !== '3.0.0' || (this.document['info'] as Json)['version'] !== '1.2') throw new Error(`${file}: expected the OpenAPI 3.0 document of scanner API 1.2`);
    this.ajv = new Ajv({ strict: true, allErrors: true, strictTypes: false });
    addFormats(this.ajv);
    this.ajv.addKeyword({ keyword: 'example' });
    this.ajv.addKeyword({ keyword: 'descriptions' });
    // The added document is only a container of the component schemas that `$ref`s point into.
    this.ajv.addKeyword({ keyword: 'components' });
    this.ajv.addFormat('url', { type: 'string', validate: (value: string) => URL.canParse(value) });
    this.ajv.addFormat('float', { type: 'number', validate: (value: number) => Number.isFinite(value) });
    const components = rewriteNullable((this.document['components'] as Json)['schemas']) as Json;
    this.ajv.addSchema({ $id: 'harbor', components: { schemas: components } });
  }

  /** A component schema's validator (`ScanRequest`), for requests the test sends. */
  schema(name: string): ValidateFunction {
    return this.compile(`component:${name}`, { $ref: `harbor#/components/schemas/${name}` });
  }

  private operation(path: string, method: string): Json {
    const operation = ((this.document['paths'] as Json)[path] as Json | undefined)?.[method] as Json | undefined;
    if (!operation) throw new Error(`the document has no ${method.toUpperCase()} ${path}`);
    return operation;
  }

  private compile(key: string, schema: Json): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      // Component references point into the document added above.
      const text = JSON.stringify(rewriteNullable(schema)).replaceAll('"#/components/', '"harbor#/components/');
      validate = this.ajv.compile(JSON.parse(text) as Json);
      this.validators.set(key, validate);
    }
    return validate;
  }

  /** Validates a query parameter's value against its `schema` and the `enum` the document puts beside it. */
  queryParameter(path: string, method: string, name: string, value: string): string[] {
    const parameter = ((this.operation(path, method)['parameters'] as Json[] | undefined) ?? []).find((p) => p['name'] === name && p['in'] === 'query');
    if (!parameter) return [`${method.toUpperCase()} ${path} documents no query parameter ${name}`];
    const schema = { ...(parameter['schema'] as Json), ...(parameter['enum'] ? { enum: parameter['enum'] } : {}) };
    const validate = this.compile(`query:${path}:${method}:${name}`, schema);
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${name} ${e.message}`);
  }

  /** Every way the answer departs from the document ([] when it conforms). */
  check(path: string, method: string, answer: OpenApiAnswer): string[] {
    const problems: string[] = [];
    const responses = this.operation(path, method)['responses'] as Json;
    const response = responses[String(answer.status)] as Json | undefined;
    if (!response) return [`status ${answer.status} is not documented for ${method.toUpperCase()} ${path} (documented: ${Object.keys(responses).join(', ')})`];

    for (const [name, header] of Object.entries((response['headers'] as Json | undefined) ?? {})) {
      const value = answer.headers.get(name);
      if (value === null) {
        problems.push(`header ${name} is missing`);
        continue;
      }
      const schema = (header as Json)['schema'] as Json;
      // Header values are text: an integer header must be the decimal digits of one.
      const parsed = schema['type'] === 'integer' || schema['type'] === 'number' ? (/^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value) : value;
      const validate = this.compile(`header:${path}:${method}:${answer.status}:${name}`, schema);
      if (!validate(parsed)) problems.push(`header ${name}=${value}: ${this.ajv.errorsText(validate.errors)}`);
    }

    const content = response['content'] as Json | undefined;
    const contentType = answer.headers.get('content-type');
    if (!content) {
      if (answer.body !== '') problems.push(`status ${answer.status} documents no content, but the body is ${JSON.stringify(answer.body.slice(0, 100))}`);
      return problems;
    }
    if (contentType === null) return [...problems, 'Content-Type is missing'];
    const media = content[contentType] as Json | undefined;
    if (!media) return [...problems, `Content-Type ${JSON.stringify(contentType)} is not one of ${Object.keys(content).map((t) => JSON.stringify(t)).join(', ')}`];
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      return [...problems, `the body is not JSON: ${answer.body.slice(0, 100)}`];
    }
    const validate = this.compile(`body:${path}:${method}:${answer.status}:${contentType}`, media['schema'] as Json);
    if (!validate(body)) problems.push(...(validate.errors ?? []).map((e) => `body${e.instancePath} ${e.message}`));
    return problems;
  }
}
