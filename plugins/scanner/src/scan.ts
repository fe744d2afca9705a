import { createHash } from 'node:crypto';
import type { Analyzer, AnalyzerFile, AnalyzerResult, ArtifactResult, FindingResult, OsInfo, PackageResult, TaskLogger } from '@bulkhead/plugin-sdk';
import { silentLogger } from '@bulkhead/plugin-sdk';
import {
  openImage,
  walkFinalFilesystem,
  type ExtractionLimits,
  type ImageFile,
  type LayerFileHook,
  type LayerSnapshot,
  type OpenedArtifact,
  type Platform,
  type RegistryClient,
  type RegistryClientOptions,
} from '@bulkhead/oci';
import { purlWithoutQualifier } from './analyzers/purl';
import { ExecutableCollector } from './executables';
import { LayerSecretCollector, secretFindings, SecretScanner, type SecretConfig } from './secrets';

export interface ScanOptions {
  /** Analyzers to run (built-ins plus extensions); ids must be unique. */
  analyzers: readonly Analyzer[];
  signal?: AbortSignal;
  logger?: TaskLogger;
  limits?: Partial<ExtractionLimits>;
  /** Registry images: the client (or its options: credentials, host policy, insecure hosts). */
  registry?: RegistryClient | RegistryClientOptions;
  /** Registry images: the platform to pick from a multi-platform index. */
  platform?: Platform;
  /** Progress in [0, 1] with a message. */
  onProgress?: (fraction: number, message?: string) => void;
  /**
   * Scan every layer's files for secrets (Trivy's rules; `true` for the defaults). Findings are
   * added to `findings`, one per secret, file and layer, redacted.
   */
  secrets?: boolean | SecretScanSettings;
}

export interface SecretScanSettings {
  /** A Trivy secret config (extra rules, allow rules, rules switched off). */
  config?: SecretConfig;
  /** Files larger than this are not read for secrets (default 10 MiB). */
  maxFileBytes?: number;
}

export interface ScanResult {
  artifact: ArtifactResult;
  packages: PackageResult[];
  findings: FindingResult[];
  /** Wanted files skipped without failing the scan (too large, unreadable). */
  warnings: string[];
}

/**
 * Inventory scan of one image or root file system: streams the layers once, runs the OS
 * analyzers, then the package analyzers (with the detected OS), then the rest.
 *
 * Package layer attribution: while the layers stream, the OS and package analyzers also run on
 * the wanted files as they stand after each layer that changed one of them. A package version
 * belongs to the earliest layer from which it stays present up to the top, i.e. the layer that
 * introduced that version; a later layer that rewrites the dpkg database without touching the
 * package does not claim it, and a package removed and reinstalled belongs to the reinstalling
 * layer. Only the package keys per layer are kept, never old file versions.
 *
 * Artifact digest: for images the image id, the config digest, which is the same for every form
 * the image is stored in (OCI layout, docker-archive); the manifest digests it is known by go to
 * `artifact.manifestDigests`. A root file system has neither, so its digest is the
 * sha256 of what the analyzers read: for each wanted file, sorted by path, its path, a NUL, its
 * length in decimal, a NUL and its bytes. The same OS release and package databases give the
 * same digest, so rescans of an unchanged host update rather than duplicate.
 *
 * Executables: the same walk lists the final file system's entries (metadata only), from which
 * `artifact.metadata.executables` (sorted absolute paths a process can exec, symlinks included;
 * see ExecutableCollector) and `executableCount` are recorded: runtime drift detection compares
 * exec events against them.
 *
 * Secrets (option `secrets`): the same single read of the layers also hands every regular file
 * of every layer to the secret scanner as it streams, so a secret that a later layer deletes or
 * overwrites is still reported, with the layer (diff_id) that holds it and
 * `removedInLaterLayer`. Only redacted lines are kept.
 */
export async function scanArtifact(reference: string, options: ScanOptions): Promise<ScanResult> {
  const logger = options.logger ?? silentLogger;
  const progress = options.onProgress ?? (() => undefined);
  const analyzers = checkUnique(options.analyzers);
  const osAnalyzers = analyzers.filter((a) => a.stage === 'os');
  const packageAnalyzers = analyzers.filter((a) => a.stage === 'packages');
  const otherAnalyzers = analyzers.filter((a) => a.stage === 'other');
  const warnings = new Set<string>();

  progress(0, `opening ${reference}`);
  const artifact = await openImage(reference, {
    limits: options.limits,
    signal: options.signal,
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.platform ? { platform: options.platform } : {}),
  });
  let digest = artifact.kind === 'image' ? artifact.digest : '';

  const run = async (analyzer: Analyzer, files: readonly ImageFile[], os: OsInfo | undefined): Promise<AnalyzerResult> => {
    options.signal?.throwIfAborted();
    const mine = filesFor(analyzer, files, warnings);
    if (mine.length === 0) return {};
    try {
      const result = await analyzer.analyze(mine, { os, artifactDigest: digest, signal: options.signal });
      for (const warning of result.warnings ?? []) warnings.add(`analyzer ${analyzer.id}: ${warning}`);
      return result;
    } catch (error) {
      throw new Error(`analyzer ${analyzer.id} failed on ${reference}: ${(error as Error).message}`, { cause: error });
    }
  };
  const detectOs = async (files: readonly ImageFile[]): Promise<OsInfo | undefined> => {
    for (const analyzer of osAnalyzers) {
      const os = (await run(analyzer, files, undefined)).os;
      if (os) return os;
    }
    return undefined;
  };

  const executables = new ExecutableCollector();
  const secrets = secretCollector(options.secrets);
  /** For paths that held a secret in some layer: the layer their final version comes from. */
  const finalLayerOf = new Map<string, number | undefined>();
  const attribution = new Map(packageAnalyzers.map((a) => [a.id, new LayerAttribution()]));
  const onSnapshot = async (snapshot: LayerSnapshot): Promise<void> => {
    const os = await detectOs(snapshot.files);
    for (const analyzer of packageAnalyzers) {
      attribution.get(analyzer.id)?.observe(snapshot.layer, (await run(analyzer, snapshot.files, os)).packages ?? []);
    }
  };
  const reading = readingProgress(artifact.kind === 'image' ? artifact.layers.length : 1, progress, secrets);
  const walk = await walkFinalFilesystem(artifact, (path) => analyzers.some((a) => a.wants(path)), {
    // Each analyzer's own maxFileSize applies before a body is held (not only when it runs).
    wantedFileLimit: (path) => wantedFileLimit(analyzers, path),
    signal: options.signal,
    limits: options.limits,
    logger,
    onLayer: (done, total) => {
      reading.layerDone(done);
      progress((0.9 * done) / total, `read layer ${done} of ${total}`);
    },
    onSnapshot,
    onFinalEntry: (entry) => {
      executables.add(entry);
      if (secrets?.hasSecretsIn(entry.path) && (entry.type === 'file' || entry.type === 'hardlink')) finalLayerOf.set(entry.path, entry.layerIndex);
    },
    onLayerFile: reading.hook,
  });
  for (const warning of walk.warnings) warnings.add(warning);
  const inventory = executables.result();
  for (const warning of inventory.warnings) warnings.add(warning);
  if (artifact.kind === 'rootfs') digest = rootfsDigest(walk.files);

  const os = await detectOs(walk.files);
  progress(0.92, os ? `detected ${os.family} ${os.version}` : 'no OS detected');
  const packages: PackageResult[] = [];
  const findings: FindingResult[] = [];
  for (const analyzer of packageAnalyzers) {
    const result = await run(analyzer, walk.files, os);
    const found = result.packages ?? [];
    attribution.get(analyzer.id)?.apply(found);
    packages.push(...found);
    findings.push(...(result.findings ?? []));
  }
  for (const analyzer of otherAnalyzers) {
    const result = await run(analyzer, walk.files, os);
    packages.push(...(result.packages ?? []));
    findings.push(...(result.findings ?? []));
  }
  if (artifact.kind === 'image') identifyLayersByDiffId(packages, artifact.layers);
  if (secrets) {
    for (const warning of secrets.warnings()) warnings.add(warning);
    const layers = artifact.kind === 'image' ? artifact.layers : [];
    findings.push(
      ...secretFindings(secrets.found, {
        target: digest,
        layerName: (index) => layers[index]?.diffId ?? layers[index]?.digest,
        // A root file system is read as it is: nothing in it was removed.
        survives: (index, path) => artifact.kind === 'rootfs' || finalLayerOf.get(path) === index,
      }),
    );
    logger.debug({ filesScanned: secrets.filesScanned, bytesScanned: secrets.bytesScanned, secrets: secrets.found.length }, 'secret scan done');
  }
  progress(1, `${packages.length} packages${secrets ? `, ${secrets.found.length} secrets` : ''}`);

  const result = artifactResult(artifact, digest, os);
  result.metadata = { ...result.metadata, executables: inventory.executables, executableCount: inventory.executables.length };
  return { artifact: result, packages, findings, warnings: [...warnings] };
}

/** The default scanner's ~100 expressions are compiled once per process. */
let defaultSecretScanner: SecretScanner | undefined;

/**
 * Progress while a layer streams (a single 100 MB layer would otherwise show one line for its
 * whole read): every regular file is counted as it passes, and every 250 files the message says
 * how many files and bytes of the layer were read. The secret collector, when scanning for
 * secrets, still sees every file through the same hook; without it no body is asked for.
 */
function readingProgress(layers: number, progress: (fraction: number, message: string) => void, secrets: LayerFileHook | undefined): { hook: LayerFileHook; layerDone(done: number): void } {
  let layer = 0;
  let files = 0;
  let bytes = 0;
  const hook: LayerFileHook = {
    wants(path, size) {
      files++;
      bytes += size;
      if (files % 250 === 0) progress((0.9 * layer) / layers, `reading layer ${layer + 1} of ${layers}: ${files} files, ${(bytes / 1048576).toFixed(1)} MiB`);
      return secrets?.wants(path, size) ?? false;
    },
    ...(secrets?.accepts ? { accepts: (head: Buffer) => secrets.accepts?.(head) ?? true } : {}),
    file(layerIndex, path, content) {
      secrets?.file(layerIndex, path, content);
    },
  };
  return {
    hook,
    layerDone(done) {
      layer = done;
      files = 0;
      bytes = 0;
    },
  };
}

function secretCollector(setting: ScanOptions['secrets']): LayerSecretCollector | undefined {
  if (!setting) return undefined;
  const settings = setting === true ? {} : setting;
  const scanner = settings.config ? new SecretScanner({ config: settings.config }) : (defaultSecretScanner ??= new SecretScanner());
  return new LayerSecretCollector(scanner, settings.maxFileBytes);
}

/**
 * Names each package's layer by its diff_id (the digest of the uncompressed layer) rather than
 * its blob digest: the same image saved as an OCI layout (gzip blobs) and as a docker-archive
 * (plain tar blobs) has different blob digests but the same diff_ids, so a package's `layer` is
 * the same whichever form was scanned.
 */
function identifyLayersByDiffId(packages: PackageResult[], layers: readonly { digest: string; diffId?: string }[]): void {
  const diffIds = new Map(layers.filter((l) => l.diffId).map((l) => [l.digest, l.diffId as string]));
  for (const pkg of packages) {
    const diffId = pkg.layer ? diffIds.get(pkg.layer) : undefined;
    if (diffId) pkg.layer = diffId;
  }
}

/**
 * Which layer introduced each package version of one analyzer (see scanArtifact). Keys leave out
 * the purl's distro qualifier so that an os-release change alone does not re-attribute.
 */
class LayerAttribution {
  private readonly introducedBy = new Map<string, string>();

  /** The file is part of the key: the same npm package installed by two apps is two packages. */
  private static key(pkg: PackageResult): string {
    return `${pkg.type}\u0000${pkg.name}\u0000${pkg.version}\u0000${purlWithoutQualifier(pkg.purl, 'distro')}\u0000${pkg.path ?? ''}`;
  }

  observe(layer: string, packages: readonly PackageResult[]): void {
    const present = new Set(packages.map(LayerAttribution.key));
    for (const key of this.introducedBy.keys()) if (!present.has(key)) this.introducedBy.delete(key);
    for (const key of present) if (!this.introducedBy.has(key)) this.introducedBy.set(key, layer);
  }

  /** Sets `layer` on packages seen in the snapshots; others keep the layer of their file. */
  apply(packages: PackageResult[]): void {
    for (const pkg of packages) {
      const layer = this.introducedBy.get(LayerAttribution.key(pkg));
      if (layer) pkg.layer = layer;
    }
  }
}

function checkUnique(analyzers: readonly Analyzer[]): readonly Analyzer[] {
  const seen = new Set<string>();
  for (const analyzer of analyzers) {
    if (seen.has(analyzer.id)) throw new Error(`scanner analyzer id ${analyzer.id} is registered twice`);
    seen.add(analyzer.id);
  }
  return analyzers;
}

/** The largest body any analyzer that wants this path would read (filesFor drops the rest). */
export function wantedFileLimit(analyzers: readonly Analyzer[], path: string): number {
  let limit = 0;
  for (const analyzer of analyzers) if (analyzer.wants(path)) limit = Math.max(limit, analyzer.maxFileSize ?? Number.POSITIVE_INFINITY);
  return limit;
}

function filesFor(analyzer: Analyzer, files: readonly ImageFile[], warnings: Set<string>): AnalyzerFile[] {
  const limit = analyzer.maxFileSize ?? Number.POSITIVE_INFINITY;
  return files.filter((file) => {
    if (!analyzer.wants(file.path)) return false;
    if (file.content.length <= limit) return true;
    warnings.add(`${file.path}: ${file.content.length} bytes, over analyzer ${analyzer.id}'s ${limit}-byte limit: skipped`);
    return false;
  });
}

function rootfsDigest(files: readonly ImageFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(`${file.path}\u0000${file.content.length}\u0000`);
    hash.update(file.content);
  }
  return `sha256:${hash.digest('hex')}`;
}

function artifactResult(artifact: OpenedArtifact, digest: string, os: OsInfo | undefined): ArtifactResult {
  if (artifact.kind === 'rootfs') {
    return { digest, references: artifact.references, ...(os ? { os } : {}), size: 0, layers: [], metadata: { source: 'rootfs', root: artifact.root } };
  }
  return {
    digest,
    ...(artifact.manifestDigests.length > 0 ? { manifestDigests: [...artifact.manifestDigests] } : {}),
    references: artifact.references,
    ...(os ? { os } : {}),
    size: artifact.layers.reduce((sum, layer) => sum + layer.size, 0),
    layers: artifact.layers.map((layer) => ({ digest: layer.digest, ...(layer.diffId ? { diffId: layer.diffId } : {}), size: layer.size, mediaType: layer.mediaType })),
    metadata: {
      source: artifact.source.kind,
      configDigest: artifact.configDigest,
      ...(artifact.manifestDigest ? { manifestDigest: artifact.manifestDigest } : {}),
      ...(artifact.config.architecture ? { architecture: artifact.config.architecture } : {}),
      ...(artifact.config.os ? { os: artifact.config.os } : {}),
    },
  };
}
