import { createHash } from 'node:crypto';
import type { Analyzer, AnalyzerFile, AnalyzerResult, ArtifactResult, FindingResult, OsInfo, PackageResult, TaskLogger } from '@bulkhead/plugin-sdk';
import { silentLogger } from '@bulkhead/plugin-sdk';
import { openImage, walkFinalFilesystem, type ExtractionLimits, type ImageFile, type LayerSnapshot, type OpenedArtifact } from '@bulkhead/oci';

export interface ScanOptions {
  /** Analyzers to run (built-ins plus extensions); ids must be unique. */
  analyzers: readonly Analyzer[];
  signal?: AbortSignal;
  logger?: TaskLogger;
  limits?: Partial<ExtractionLimits>;
  /** Progress in [0, 1] with a message. */
  onProgress?: (fraction: number, message?: string) => void;
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
 * Package layer attribution: package analyzers also run on the wanted files as they stood after
 * each layer that changed them (the walk's history). A package version belongs to the earliest
 * layer from which it stays present up to the top, i.e. the layer that introduced that version;
 * a later layer that rewrites the dpkg database without touching the package does not claim it.
 *
 * Artifact digest: the manifest digest for images (the config digest for a legacy
 * docker-archive, which has no manifest). A root file system has neither, so its digest is the
 * sha256 of what the analyzers read: for each wanted file, sorted by path, its path, a NUL, its
 * length in decimal, a NUL and its bytes. The same OS release and package databases give the
 * same digest, so rescans of an unchanged host update rather than duplicate.
 */
export async function scanArtifact(reference: string, options: ScanOptions): Promise<ScanResult> {
  const logger = options.logger ?? silentLogger;
  const progress = options.onProgress ?? (() => undefined);
  const analyzers = checkUnique(options.analyzers);
  progress(0, `opening ${reference}`);
  const artifact = await openImage(reference, { limits: options.limits, signal: options.signal });
  const wants = (path: string): boolean => analyzers.some((a) => a.wants(path));
  const walk = await walkFinalFilesystem(artifact, wants, {
    signal: options.signal,
    limits: options.limits,
    logger,
    onLayer: (done, total) => progress((0.9 * done) / total, `read layer ${done} of ${total}`),
  });
  const warnings = [...walk.warnings];
  const digest = artifact.kind === 'image' ? artifact.digest : rootfsDigest(walk.files);

  const run = async (analyzer: Analyzer, files: readonly ImageFile[], os: OsInfo | undefined): Promise<AnalyzerResult> => {
    options.signal?.throwIfAborted();
    const mine = filesFor(analyzer, files, warnings);
    if (mine.length === 0) return {};
    try {
      return await analyzer.analyze(mine, { os, artifactDigest: digest, signal: options.signal });
    } catch (error) {
      throw new Error(`analyzer ${analyzer.id} failed on ${reference}: ${(error as Error).message}`, { cause: error });
    }
  };

  let os: OsInfo | undefined;
  for (const analyzer of analyzers.filter((a) => a.stage === 'os')) {
    os ??= (await run(analyzer, walk.files, undefined)).os;
  }
  progress(0.92, os ? `detected ${os.family} ${os.version}` : 'no OS detected');

  const packages: PackageResult[] = [];
  const findings: FindingResult[] = [];
  for (const analyzer of analyzers.filter((a) => a.stage === 'packages')) {
    const result = await run(analyzer, walk.files, os);
    const found = result.packages ?? [];
    if (found.length > 0 && walk.history.length > 0) await attributeLayers(found, walk.history, (files) => run(analyzer, files, os));
    packages.push(...found);
    findings.push(...(result.findings ?? []));
  }
  for (const analyzer of analyzers.filter((a) => a.stage === 'other')) {
    const result = await run(analyzer, walk.files, os);
    packages.push(...(result.packages ?? []));
    findings.push(...(result.findings ?? []));
  }
  progress(1, `${packages.length} packages`);

  return { artifact: artifactResult(artifact, digest, os), packages, findings, warnings };
}

function checkUnique(analyzers: readonly Analyzer[]): readonly Analyzer[] {
  const seen = new Set<string>();
  for (const analyzer of analyzers) {
    if (seen.has(analyzer.id)) throw new Error(`scanner analyzer id ${analyzer.id} is registered twice`);
    seen.add(analyzer.id);
  }
  return analyzers;
}

function filesFor(analyzer: Analyzer, files: readonly ImageFile[], warnings: string[]): AnalyzerFile[] {
  const limit = analyzer.maxFileSize ?? Number.POSITIVE_INFINITY;
  return files.filter((file) => {
    if (!analyzer.wants(file.path)) return false;
    if (file.content.length <= limit) return true;
    warnings.push(`${file.path}: ${file.content.length} bytes, over analyzer ${analyzer.id}'s ${limit}-byte limit: skipped`);
    return false;
  });
}

function packageKey(pkg: PackageResult): string {
  return `${pkg.type}\u0000${pkg.name}\u0000${pkg.version}\u0000${pkg.purl}`;
}

/** Sets each package's layer to the layer that introduced its version (see scanArtifact). */
async function attributeLayers(packages: PackageResult[], history: readonly LayerSnapshot[], analyze: (files: ImageFile[]) => Promise<AnalyzerResult>): Promise<void> {
  const introducedBy = new Map<string, string>();
  for (const snapshot of history) {
    const present = new Set(((await analyze(snapshot.files)).packages ?? []).map(packageKey));
    for (const key of introducedBy.keys()) if (!present.has(key)) introducedBy.delete(key);
    for (const key of present) if (!introducedBy.has(key)) introducedBy.set(key, snapshot.layer);
  }
  for (const pkg of packages) {
    const layer = introducedBy.get(packageKey(pkg));
    if (layer) pkg.layer = layer;
  }
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
