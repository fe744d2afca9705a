import { z } from 'zod';
import { CONSUMED_MIME_TYPES, PRODUCED_MIME_TYPES, SBOM_MEDIA_TYPES, normalizeMediaType, type SbomMediaType } from './media-types';

/*
 * Harbor's ScanRequest, checked in the three steps the spec answers differently: JSON that does
 * not parse or has values of the wrong JSON type → 400; a field missing or invalid → 422; an
 * artifact or report type the adapter cannot handle → 501. Every message names the field.
 */

export const HARBOR_CAPABILITIES = ['vulnerability', 'sbom'] as const;
export type HarborCapability = (typeof HARBOR_CAPABILITIES)[number];

/** Robot credentials are a short `Basic` header: far below this. */
const MAX_AUTHORIZATION_LENGTH = 8192;
const MAX_URL_LENGTH = 2048;
/** distribution's limit on a repository name (reference/regexp.go: 255 with the domain). */
const MAX_REPOSITORY_LENGTH = 255;
const MAX_CAPABILITIES = 8;

/** The JSON types of the fields the adapter reads; anything else in the body is ignored. */
const wireShape = z.object({
  registry: z
    .object({
      url: z.string().optional(),
      authorization: z.string().optional(),
    })
    .optional(),
  artifact: z
    .object({
      repository: z.string().optional(),
      digest: z.string().optional(),
      tag: z.string().optional(),
      mime_type: z.string().optional(),
    })
    .optional(),
  enabled_capabilities: z
    .array(
      z.object({
        type: z.string().optional(),
        produces_mime_types: z.array(z.string()).optional(),
        parameters: z.object({ sbom_media_types: z.array(z.string()).optional() }).nullable().optional(),
      }),
    )
    .optional(),
});

/** A scan request that passed every check. `authorization` is the only secret in it. */
export interface HarborScanRequest {
  registry: { url: URL; authorization?: string };
  artifact: { repository: string; digest: string; tag?: string; mimeType: string };
  /** The capabilities Harbor enabled (both when it named none, as the spec says). */
  capabilities: HarborCapability[];
  /** SBOM formats asked for in the request's sbom parameters (may be empty: any is served). */
  sbomMediaTypes: SbomMediaType[];
}

export type ScanRequestProblem = { status: 400 | 422 | 501; message: string };

// distribution/reference grammar: path components of lower-case alphanumerics joined by
// `.`, `_`, `__` or runs of `-`, separated by `/`.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const BASIC = /^Basic ([A-Za-z0-9+/]+={0,2})$/;

function problem(status: ScanRequestProblem['status'], message: string): { problem: ScanRequestProblem } {
  return { problem: { status, message } };
}

function registryUrl(text: string | undefined): URL | string {
  if (text === undefined || text.trim() === '') return 'registry.url is required';
  if (text.length > MAX_URL_LENGTH) return `registry.url is longer than ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'registry.url is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `registry.url must be http or https, not ${url.protocol.replace(/:$/, '')}`;
  // Credentials travel in registry.authorization only; a URL with them would end up in logs and task inputs.
  if (url.username || url.password) return 'registry.url must not carry credentials (give them in registry.authorization)';
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return 'registry.url must be the registry base URL (scheme, host and port only)';
  return url;
}

/** `Basic base64(user:password)` with both parts present, or a reason it is not. */
function basicAuthorization(text: string): string | undefined {
  if (text.length > MAX_AUTHORIZATION_LENGTH) return `registry.authorization is longer than ${MAX_AUTHORIZATION_LENGTH} characters`;
  const match = BASIC.exec(text);
  if (!match) return 'registry.authorization must be `Basic <base64 of user:password>` (Harbor robot account credentials)';
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) return 'registry.authorization does not hold user:password';
  return undefined;
}

/** Parses and checks a ScanRequest body (at most the bytes the controller allowed). */
export function parseScanRequest(body: Buffer): { request: HarborScanRequest } | { problem: ScanRequestProblem } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return problem(400, `the body is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return problem(400, 'the body must be a JSON object (ScanRequest)');
  const wire = wireShape.safeParse(json);
  if (!wire.success) {
    const issue = wire.error.issues[0];
    return problem(400, `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'wrong JSON type'}`);
  }
  const { registry, artifact, enabled_capabilities: enabled } = wire.data;

  const url = registryUrl(registry?.url);
  if (typeof url === 'string') return problem(422, url);
  const authorization = registry?.authorization;
  if (authorization !== undefined && authorization !== '') {
    const bad = basicAuthorization(authorization);
    if (bad) return problem(422, bad);
  }

  const repository = artifact?.repository;
  if (!repository) return problem(422, 'artifact.repository is required');
  if (repository.length > MAX_REPOSITORY_LENGTH || !REPOSITORY.test(repository)) return problem(422, 'artifact.repository is not a repository name (lower-case path components separated by /)');
  const digest = artifact?.digest;
  if (!digest) return problem(422, 'artifact.digest is required');
  if (!DIGEST.test(digest)) return problem(422, 'artifact.digest must be sha256:<64 hex> or sha512:<128 hex>');
  const tag = artifact?.tag;
  if (tag !== undefined && tag !== '' && !TAG.test(tag)) return problem(422, 'artifact.tag is not a tag');
  const mimeType = artifact?.mime_type ?? '';
  const consumed = CONSUMED_MIME_TYPES.find((type) => normalizeMediaType(type) === normalizeMediaType(mimeType));
  if (mimeType !== '' && !consumed) return problem(501, `artifact.mime_type ${JSON.stringify(mimeType.slice(0, 200))} cannot be scanned: the adapter consumes ${CONSUMED_MIME_TYPES.join(', ')}`);

  if ((enabled?.length ?? 0) > MAX_CAPABILITIES) return problem(422, `enabled_capabilities lists more than ${MAX_CAPABILITIES} entries`);
  const capabilities = new Set<HarborCapability>();
  const sbomMediaTypes = new Set<SbomMediaType>();
  for (const [index, capability] of (enabled ?? []).entries()) {
    const type = capability.type;
    if (!type) return problem(422, `enabled_capabilities.${index}.type is required`);
    if (!(HARBOR_CAPABILITIES as readonly string[]).includes(type)) return problem(501, `enabled_capabilities.${index}.type ${JSON.stringify(type.slice(0, 100))} is not a capability of this scanner (${HARBOR_CAPABILITIES.join(', ')})`);
    capabilities.add(type as HarborCapability);
    for (const produced of capability.produces_mime_types ?? []) {
      if (!PRODUCED_MIME_TYPES.some((t) => normalizeMediaType(t) === normalizeMediaType(produced))) {
        return problem(501, `enabled_capabilities.${index}.produces_mime_types: ${JSON.stringify(produced.slice(0, 200))} is not produced by this scanner`);
      }
    }
    for (const media of capability.parameters?.sbom_media_types ?? []) {
      if (!(SBOM_MEDIA_TYPES as readonly string[]).includes(media)) return problem(422, `enabled_capabilities.${index}.parameters.sbom_media_types: ${JSON.stringify(media.slice(0, 200))} is not ${SBOM_MEDIA_TYPES.join(' or ')}`);
      sbomMediaTypes.add(media as SbomMediaType);
    }
  }
  return {
    request: {
      registry: { url, ...(authorization ? { authorization } : {}) },
      artifact: { repository, digest, ...(tag ? { tag } : {}), mimeType: consumed ?? CONSUMED_MIME_TYPES[0] },
      capabilities: capabilities.size > 0 ? [...capabilities] : [...HARBOR_CAPABILITIES],
      sbomMediaTypes: [...sbomMediaTypes],
    },
  };
}

/** The `registry:` scan target of a request: `registry:<host[:port]>/<repository>@<digest>`. */
export function scanTarget(request: Pick<HarborScanRequest, 'registry' | 'artifact'>): string {
  return `registry:${request.registry.url.host}/${request.artifact.repository}@${request.artifact.digest}`;
}

/** The user and password of a `Basic` authorization that parseScanRequest accepted. */
export function basicCredentials(authorization: string): { username: string; password: string } {
  const decoded = Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
