/*
 * The MIME types of Harbor's pluggable scanner API v1.2 (goharbor/pluggable-scanner-spec,
 * api/spec/scanner-adapter-openapi-v1.2.yaml), spelled exactly as Harbor sends and compares
 * them: `type; version=x` with one space after the semicolon.
 */

/** Artifacts the adapter can pull and scan (image manifests; an index is resolved by Harbor per platform). */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const CONSUMED_MIME_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST] as const;

/** The vulnerability report, in Harbor's current and legacy names (same body). */
export const VULN_REPORT = 'application/vnd.security.vulnerability.report; version=1.1';
export const HARBOR_VULN_REPORT = 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0';
export const SBOM_REPORT = 'application/vnd.security.sbom.report+json; version=1.0';
export const VULNERABILITY_REPORT_TYPES = [VULN_REPORT, HARBOR_VULN_REPORT] as const;
export const PRODUCED_MIME_TYPES = [...VULNERABILITY_REPORT_TYPES, SBOM_REPORT] as const;
export type ReportMimeType = (typeof PRODUCED_MIME_TYPES)[number];

/** The SBOM formats (`sbom_media_type`), both produced by the scanner's report code. */
export const SPDX_JSON = 'application/spdx+json';
export const CYCLONEDX_JSON = 'application/vnd.cyclonedx+json';
export const SBOM_MEDIA_TYPES = [SPDX_JSON, CYCLONEDX_JSON] as const;
export type SbomMediaType = (typeof SBOM_MEDIA_TYPES)[number];

export const METADATA = 'application/vnd.scanner.adapter.metadata+json; version=1.1';
export const SCAN_REQUEST_TYPES = ['application/vnd.scanner.adapter.scan.request+json; version=1.1', 'application/vnd.scanner.adapter.scan.request+json; version=1.0'] as const;
export const SCAN_RESPONSE = 'application/vnd.scanner.adapter.scan.response+json; version=1.0';
export const ERROR = 'application/vnd.scanner.adapter.error+json; version=1.0';

/**
 * A media type in one canonical spelling for comparison: lower case, no spaces, parameters in
 * their given order, `q` (an Accept weight) left out. `A;version=1.1` and `a; version=1.1` are one type.
 */
export function normalizeMediaType(text: string): string {
  return text
    .split(';')
    .map((part) => part.trim().toLowerCase())
    .filter((part, index) => part !== '' && (index === 0 || !part.startsWith('q=')))
    .map((part) => part.replace(/\s*=\s*/, '='))
    .join(';');
}

/** The longest Accept header read (Harbor sends one type; a longer header is no client of ours). */
const MAX_ACCEPT_LENGTH = 4096;

/**
 * Which of `offered` an Accept header asks for: the first listed type the adapter produces.
 * Absent, empty or `*` / `*\/*` asks for `fallback`. Returns undefined when none is produced.
 */
export function negotiate<T extends string>(accept: string | string[] | undefined, offered: readonly T[], fallback: T): T | undefined {
  const header = Array.isArray(accept) ? accept.join(',') : (accept ?? '');
  if (header.trim() === '') return fallback;
  if (header.length > MAX_ACCEPT_LENGTH) return undefined;
  const byNormal = new Map(offered.map((type) => [normalizeMediaType(type), type]));
  for (const entry of header.split(',')) {
    const normal = normalizeMediaType(entry);
    if (normal === '*/*' || normal === '*') return fallback;
    const match = byNormal.get(normal);
    if (match) return match;
  }
  return undefined;
}

/** True when a Content-Type header is one of `accepted` (compared as normalizeMediaType does); an absent one is not. */
export function isContentType(header: string | undefined, accepted: readonly string[]): boolean {
  if (header === undefined) return false;
  const normal = normalizeMediaType(header.replace(/;\s*charset=[^;]*/i, ''));
  return accepted.some((type) => normalizeMediaType(type) === normal);
}
