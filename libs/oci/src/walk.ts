import type { TaskLogger } from '@bulkhead/plugin-sdk';
import { silentLogger } from '@bulkhead/plugin-sdk';
import type { OpenedArtifact, OpenedImage } from './image';
import { LayeredFilesystem, normaliseEntryName, sourceOf, type FsNode } from './layered-filesystem';
import { layerName, readLayer, type UncompressedBudget } from './layer-reader';
import { resolveLimits, type ExtractionLimits } from './limits';
import { walkRootfs } from './rootfs';
import type { FilesystemWalk, FinalEntry, ImageFile, LayerFileHook, LayerSnapshot } from './walk-results';

export type { FilesystemWalk, FinalEntry, ImageFile, LayerFileHook, LayerSnapshot } from './walk-results';

export interface WalkOptions {
  signal?: AbortSignal;
  limits?: Partial<ExtractionLimits>;
  logger?: TaskLogger;
  /** Called after each layer (or, for a root file system, once at the end). */
  onLayer?: (done: number, total: number) => void;
  /**
   * Receives each history snapshot as soon as its layer is read, instead of collecting them in
   * `history`: a caller that only needs a summary per layer lets older file versions be freed
   * (an image whose 50 layers each rewrite a 2 MB package database would otherwise hold 100 MB).
   */
  onSnapshot?: (snapshot: LayerSnapshot) => void | Promise<void>;
  /**
   * Receives every entry of the final file system, once, in no particular order, when the walk
   * is done (for a root file system: from lstat, while walking). Costs one call per entry and no
   * file contents: the walk keeps per-path metadata anyway to apply whiteouts.
   */
  onFinalEntry?: (entry: FinalEntry) => void;
  /** Sees regular-file bodies of every layer as they stream (see LayerFileHook). */
  onLayerFile?: LayerFileHook;
  /**
   * The largest body worth keeping for a wanted path (the limits of the analyzers that want it),
   * checked before its bytes are held; `maxWantedFileBytes` caps it. Default: that cap.
   */
  wantedFileLimit?: (path: string) => number;
}

/** The per-path limit of wanted bodies: the caller's, capped by maxWantedFileBytes. */
function wantedLimitOf(limits: ExtractionLimits, options: Pick<WalkOptions, 'wantedFileLimit'>): (path: string) => number {
  const own = options.wantedFileLimit;
  return own ? (path) => Math.min(limits.maxWantedFileBytes, own(path)) : () => limits.maxWantedFileBytes;
}

/**
 * Streams every layer once, bottom to top, applying whiteouts, and returns the files some
 * `wants(path)` asked for, as they are in the final file system. Only those files' bodies are
 * held in memory. A wanted path that is a symlink (or hardlink) to a file nobody wanted, e.g.
 * `etc/os-release -> ../usr/lib/os-release`, is fetched in a second, targeted pass over just the
 * layers holding those bytes.
 */
export async function walkFinalFilesystem(artifact: OpenedArtifact, wants: (path: string) => boolean, options: WalkOptions = {}): Promise<FilesystemWalk> {
  const limits = resolveLimits({ ...artifact.limits, ...(options.limits ?? {}) });
  if (artifact.kind === 'rootfs') {
    const result = await walkRootfs(artifact.root, wants, { limits, signal: options.signal, onEntry: options.onFinalEntry, onFile: options.onLayerFile, wantedLimit: wantedLimitOf(limits, options) });
    options.onLayer?.(1, 1);
    return { ...result, history: [] };
  }
  return walkImage(artifact, wants, limits, options);
}

async function walkImage(image: OpenedImage, wants: (path: string) => boolean, limits: ExtractionLimits, options: WalkOptions): Promise<FilesystemWalk> {
  const logger = options.logger ?? silentLogger;
  const fs = new LayeredFilesystem(wants);
  const budget: UncompressedBudget = { used: 0 };
  const warnings: string[] = [];
  const history: LayerSnapshot[] = [];
  const limitOf = wantedLimitOf(limits, options);
  /** Bodies skipped for the budget (warned once: the second pass does not try them again). */
  const overBudgetPaths = new Set<string>();
  for (const layer of image.layers) {
    const where = layerName(layer);
    fs.wantedChanged = false;
    let keptPath: string | undefined;
    let hookPath: string | undefined;
    const hook = options.onLayerFile;
    await readLayer(
      image,
      layer,
      {
        entry: (header) => {
          const path = fs.apply(header, layer.index, where);
          const size = header.size ?? 0;
          hookPath = hook && fs.lastFilePath !== undefined && hook.wants(fs.lastFilePath, size) ? fs.lastFilePath : undefined;
          keptPath = undefined;
          if (path !== undefined) {
            const limit = limitOf(path);
            if (size > limit) warnings.push(`${path} in ${where} is ${header.size} bytes, over the ${limit}-byte limit: skipped`);
            else if (fs.keptBytes + size > limits.maxWantedTotalBytes) {
              warnings.push(overBudget(path, where, size, limits));
              overBudgetPaths.add(path);
            } else {
              overBudgetPaths.delete(path);
              keptPath = path;
            }
          }
          return keptPath !== undefined || hookPath !== undefined;
        },
        // A body only the hook wants can be dropped from its first chunk (an analyzer's cannot).
        head: (_header, chunk) => {
          if (keptPath !== undefined || hookPath === undefined || !hook?.accepts || hook.accepts(chunk)) return true;
          hookPath = undefined;
          return false;
        },
        // Bodies arrive right after their entry() call, before the next entry is applied.
        body: (_header, content) => {
          if (keptPath !== undefined) fs.keep(keptPath, content);
          if (hookPath !== undefined) hook?.file(layer.index, hookPath, content);
        },
      },
      { limits, budget, signal: options.signal, onWarning: (message) => warnings.push(message) },
    );
    if (fs.wantedChanged) {
      const snapshot = { layerIndex: layer.index, layer: layer.digest, files: collect(fs, image, () => undefined) };
      if (options.onSnapshot) await options.onSnapshot(snapshot);
      else history.push(snapshot);
    }
    options.onLayer?.(layer.index + 1, image.layers.length);
  }

  // Second pass for wanted paths whose bytes were not kept (reached through links).
  const missing = new Map<number, Set<string>>();
  let secondPassBytes = 0;
  collect(fs, image, (node, path, nodePath) => {
    if (node.size > limitOf(path) || overBudgetPaths.has(nodePath)) return;
    if (fs.keptBytes + secondPassBytes + node.size > limits.maxWantedTotalBytes) warnings.push(overBudget(path, 'the second pass', node.size, limits));
    else {
      secondPassBytes += node.size;
      const source = sourceOf(nodePath, node);
      const entries = missing.get(source.layer) ?? new Set<string>();
      entries.add(source.entry);
      missing.set(source.layer, entries);
    }
  });
  if (missing.size > 0) {
    const fetched = new Map<string, Buffer>();
    for (const layer of image.layers) {
      const index = layer.index;
      const entries = missing.get(index);
      if (!entries) continue;
      const where = layerName(layer);
      logger.debug({ layer: layer.digest, entries: [...entries] }, 'second pass for linked files');
      await readLayer(
        image,
        layer,
        {
          entry: (header) => entries.has(normaliseEntryName(header.name, where)),
          body: (header, content) => fetched.set(`${index}\u0000${normaliseEntryName(header.name, where)}`, content),
        },
        { limits, budget: { used: 0 }, signal: options.signal },
      );
    }
    for (const [path, node] of fs.nodes) {
      if (node.kind !== 'file' || node.content) continue;
      const source = sourceOf(path, node);
      node.content = fetched.get(`${source.layer}\u0000${source.entry}`);
    }
  }
  const files = collect(fs, image, (node, path, nodePath) => {
    if (!overBudgetPaths.has(nodePath)) warnings.push(`${path}: content unavailable (${node.size} bytes)`);
  });
  if (options.onFinalEntry) reportEntries(fs, options.onFinalEntry);
  if (warnings.length) logger.warn({ warnings }, 'some wanted files were skipped');
  return { files, history, warnings };
}

function overBudget(path: string, where: string, size: number, limits: ExtractionLimits): string {
  return `${path} in ${where} is ${size} bytes: the wanted files held would pass the ${limits.maxWantedTotalBytes}-byte budget (maxWantedTotalBytes): skipped`;
}

function reportEntries(fs: LayeredFilesystem, onEntry: (entry: FinalEntry) => void): void {
  for (const [path, node] of fs.nodes) {
    const layerIndex = node.layer;
    if (node.kind === 'symlink') onEntry({ path, type: 'symlink', mode: node.mode, size: 0, linkTarget: node.linkTarget ?? '', layerIndex });
    else if (node.kind === 'file' && node.linkTarget !== undefined) onEntry({ path, type: 'hardlink', mode: node.mode, size: node.size, linkTarget: node.linkTarget, layerIndex });
    else onEntry({ path, type: node.kind, mode: node.mode, size: node.kind === 'file' ? node.size : 0, layerIndex });
  }
}

/** The node a wanted path leads to (following symlinks inside the root) and its own path. */
function finalNode(fs: LayeredFilesystem, path: string): { node: FsNode; nodePath: string } | undefined {
  const node = fs.nodes.get(path);
  if (node?.kind !== 'symlink') return node ? { node, nodePath: path } : undefined;
  const target = fs.resolve(path, true);
  const targetNode = target === undefined ? undefined : fs.nodes.get(target);
  return target !== undefined && targetNode ? { node: targetNode, nodePath: target } : undefined;
}

function collect(fs: LayeredFilesystem, image: OpenedImage, onMissing: (node: FsNode, path: string, nodePath: string) => void): ImageFile[] {
  const files: ImageFile[] = [];
  for (const path of [...fs.wanted].sort()) {
    const found = finalNode(fs, path);
    if (found?.node.kind !== 'file') continue;
    const { node, nodePath } = found;
    if (node.content) files.push({ path, content: node.content, layer: image.layers[sourceOf(nodePath, node).layer]?.digest });
    else onMissing(node, path, nodePath);
  }
  return files;
}
