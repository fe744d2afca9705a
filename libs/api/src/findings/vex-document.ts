import { createHash } from 'node:crypto';
import { PackageURL } from 'packageurl-js';

/*
 * OpenVEX out (issue 16): the suppressed vulnerabilities of one image as an OpenVEX v0.2.0
 * document (https://github.com/openvex/spec), which `bulkhead scan --vex FILE` reads back (tested:
 * apps/cli/src/vex-roundtrip.int-spec.ts). One statement per suppressed finding:
 *   product        the image, as an OCI package URL: pkg:oci/<name>@<manifest digest>?repository_url=...
 *                  (the image id when no manifest digest is known)
 *   subcomponents  the vulnerable package's purl (the statement speaks for that package inside
 *                  the image, not for every package of it)
 *   vulnerability  the CVE id when the advisory has one (else the advisory id), its other ids as aliases
 *   status         not_affected, with the justification and the reason as impact_statement
 *   timestamp      when it was suppressed (absent if not recorded); status_notes say by whom and until when.
 * OpenVEX `not_affected` needs a justification or an impact statement: a suppression made
 * without either (older API clients) says so in impact_statement rather than inventing one.
 * The document's @id is derived from its content, so the same suppressions give the same id.
 */

export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';

export interface VexImage {
  /** Image id (config digest). */
  digest: string;
  manifestDigests: readonly string[];
  references: readonly string[];
}

export interface SuppressedVulnerability {
  ruleId: string;
  aliases: readonly string[];
  /** The package's purl (the finding's data.package.purl). */
  purl: string;
  reason: string | null;
  justification: string | null;
  expiresAt: Date | null;
  suppressedBy: string | null;
  suppressedAt: Date | null;
}

export interface OpenVexStatement {
  vulnerability: { name: string; aliases?: string[] };
  /** Absent for suppressions older than this record: the document's timestamp applies (OpenVEX inheritance). */
  timestamp?: string;
  products: { '@id': string; subcomponents: { '@id': string }[] }[];
  status: 'not_affected';
  justification?: string;
  impact_statement: string;
  status_notes?: string;
}

export interface OpenVexDocument {
  '@context': typeof OPENVEX_CONTEXT;
  '@id': string;
  author: string;
  role: string;
  timestamp: string;
  version: number;
  tooling: string;
  statements: OpenVexStatement[];
}

/** Transports of local image sources (`oci:/path:tag`, `docker-archive:/file`), which name no repository. */
const LOCAL_SOURCE = /^(oci|oci-archive|docker-archive|dir|rootfs|file):|^[./]/;
const NAME_SEGMENT = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Repository, name and tag of the first registry reference (`registry/path/name:tag`), if any. */
function repositoryOf(references: readonly string[]): { repository: string; name: string; tag?: string } | undefined {
  for (const reference of references) {
    if (LOCAL_SOURCE.test(reference) || reference.includes('://')) continue;
    const withoutDigest = reference.split('@')[0] ?? '';
    const slash = withoutDigest.lastIndexOf('/');
    const colon = withoutDigest.lastIndexOf(':');
    const repository = colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
    const tag = colon > slash ? withoutDigest.slice(colon + 1) : undefined;
    const name = repository.slice(repository.lastIndexOf('/') + 1).toLowerCase();
    if (NAME_SEGMENT.test(name)) return { repository, name, ...(tag ? { tag } : {}) };
  }
  return undefined;
}

/**
 * The image as an OCI package URL (purl spec, type `oci`): the name is the repository's last
 * segment (`image` when it was scanned from a local source only), the version a digest.
 */
export function ociPurl(image: VexImage): string {
  const digest = image.manifestDigests[0] ?? image.digest;
  const repository = repositoryOf(image.references);
  const qualifiers: Record<string, string> = {};
  if (repository) qualifiers['repository_url'] = repository.repository;
  if (repository?.tag) qualifiers['tag'] = repository.tag;
  return new PackageURL('oci', undefined, repository?.name ?? 'image', digest, Object.keys(qualifiers).length ? qualifiers : undefined, undefined).toString();
}

/** The CVE id of an advisory (itself or an alias) first, then its other ids. */
function vulnerabilityOf(ruleId: string, aliases: readonly string[]): { name: string; aliases?: string[] } {
  const ids = [...new Set([ruleId, ...aliases])];
  const name = ids.find((id) => /^CVE-\d{4}-\d+$/.test(id)) ?? ruleId;
  const others = ids.filter((id) => id !== name);
  return others.length ? { name, aliases: others } : { name };
}

function statementOf(product: string, finding: SuppressedVulnerability): OpenVexStatement {
  const notes = [`Suppressed in Bulkhead${finding.suppressedBy ? ` by ${finding.suppressedBy}` : ''}`, finding.expiresAt ? `until ${finding.expiresAt.toISOString()}` : 'until reopened'].join(' ');
  return {
    vulnerability: vulnerabilityOf(finding.ruleId, finding.aliases),
    ...(finding.suppressedAt ? { timestamp: finding.suppressedAt.toISOString() } : {}),
    products: [{ '@id': product, subcomponents: [{ '@id': finding.purl }] }],
    status: 'not_affected',
    ...(finding.justification ? { justification: finding.justification } : {}),
    impact_statement: finding.reason ?? (finding.justification ? `Justification: ${finding.justification} (no reason recorded)` : 'Suppressed without a stated reason'),
    status_notes: `${notes}.`,
  };
}

/** The OpenVEX document of an image's suppressed vulnerabilities (`now`: its time when there are none). */
export function openVexDocument(image: VexImage, team: string, findings: readonly SuppressedVulnerability[], now: Date = new Date()): OpenVexDocument {
  const product = ociPurl(image);
  const statements = findings.map((finding) => statementOf(product, finding));
  const latest = findings.reduce<number | undefined>((max, f) => (f.suppressedAt && (max === undefined || f.suppressedAt.getTime() > max) ? f.suppressedAt.getTime() : max), undefined);
  const content = createHash('sha256').update(JSON.stringify([team, product, statements])).digest('hex');
  return {
    '@context': OPENVEX_CONTEXT,
    '@id': `urn:bulkhead:vex:${content}`,
    author: `Bulkhead (team ${team})`,
    role: 'Document Creator',
    timestamp: new Date(latest ?? now.getTime()).toISOString(),
    version: 1,
    tooling: 'Bulkhead',
    statements,
  };
}
