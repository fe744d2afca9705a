import type { PluginKind } from './manifest';

/** Severity scale shared by every kind of finding (vulnerabilities, controls, alerts). */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface OsInfo {
  /** Lower-case distribution id as in os-release `ID`: `debian`, `alpine`, `ubuntu`, ... */
  family: string;
  /** Distribution version, e.g. `12` for Debian bookworm, `3.19.1` for Alpine. */
  version: string;
  /** Human name, e.g. `Debian GNU/Linux 12 (bookworm)`. */
  name?: string;
}

export interface LayerInfo {
  /** Digest of the layer blob as stored (compressed), `sha256:...`. */
  digest: string;
  /** Digest of the uncompressed layer tar (the config's rootfs.diff_ids entry). */
  diffId?: string;
  size: number;
  mediaType?: string;
}

/** An image (or another scanned artifact such as a root file system), keyed by digest. */
export interface ArtifactResult {
  /**
   * The artifact's identity. For an image: its image id, the digest of its config blob, which is
   * the same whatever form the image was read from (OCI layout, docker-archive, a registry).
   * For other artifacts (a root file system): a content digest.
   */
  digest: string;
  /**
   * Manifest digests the image is known by (none for a legacy docker-archive, which has no
   * manifest, nor for a root file system). The host merges them across scans.
   */
  manifestDigests?: string[];
  /** How the user named it: `docker-archive:/x.tar`, `registry.example/app:1.2`, ... */
  references: string[];
  os?: OsInfo;
  /** Total size in bytes of the layers as stored. */
  size: number;
  layers: LayerInfo[];
  /** Image config digest, architecture and other facts that are not first-class columns. */
  metadata?: Record<string, unknown>;
}

/** A software package found inside an artifact. */
export interface PackageResult {
  /** purl type: `deb`, `apk`, `rpm`, `npm`, `pypi`, `maven`, ... */
  type: string;
  name: string;
  version: string;
  /** Source package (dpkg `Source:`, apk `o:`); defaults to `name`. */
  sourceName?: string;
  sourceVersion?: string;
  purl: string;
  /**
   * The layer that introduced this package version, where known: its diff_id (digest of the
   * uncompressed layer tar), which is the same whether the image was stored gzip'd or plain.
   */
  layer?: string;
  /**
   * The file the package was read from, root-relative (`app/package-lock.json`,
   * `usr/lib/python3/dist-packages/x-1.0.dist-info/METADATA`, `var/lib/dpkg/status`). The same
   * package version found in two lockfiles is two packages.
   */
  path?: string;
  /** Licence, architecture, installed files ... */
  metadata?: Record<string, unknown>;
}

/** A finding of any plugin kind: a vulnerability, a failed control, a runtime alert. */
export interface FindingResult {
  kind: PluginKind;
  severity: Severity;
  /** Advisory id (CVE-2024-1234), control id (5.1.1, CIS-DI-0001) or rule name. */
  ruleId: string;
  title: string;
  /** What the finding is about: an image digest, `Deployment/ns/name`, a node, a container id. */
  target: string;
  /** Where inside the target: a package, a file path and line, a field path. */
  location?: string;
  /** Kind-specific detail (fixed version, audit output, the alert's output_fields ...). */
  data?: Record<string, unknown>;
  /**
   * Stable identity of the finding within its target. When omitted the runner derives it from
   * kind, ruleId, target and location, so re-running the same work updates instead of duplicating.
   */
  fingerprint?: string;
}
