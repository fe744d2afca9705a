import { createHash } from 'node:crypto';
import type { FindingResult } from '@bulkhead/plugin-sdk';
import type { LayerFileHook } from '@bulkhead/oci';
import type { SecretFindingData } from '../findings/finding-data';
import { DEFAULT_MAX_SECRET_FILE_BYTES, looksBinary, secretScanWantsPath } from './file-filter';
import type { SecretMatch, SecretScanner } from './scanner';

/** A secret in one file of one layer. */
export interface LayerSecret {
  layerIndex: number;
  /** Root-relative path. */
  path: string;
  secret: SecretMatch;
}

const CR = 0x0d;

/**
 * Scans the regular files of every layer as the image streams (an `onLayerFile` hook of the
 * walk), so a secret that a later layer deletes or overwrites is still found: it is still in the
 * image, in the layer that added it. Holds no file body beyond the `file` call, only the
 * redacted findings.
 */
export class LayerSecretCollector implements LayerFileHook {
  readonly found: LayerSecret[] = [];
  filesScanned = 0;
  bytesScanned = 0;
  private oversized = 0;
  private largestSkipped: { path: string; size: number } | undefined;
  private readonly pathsWithSecrets = new Set<string>();

  constructor(
    private readonly scanner: SecretScanner,
    private readonly maxFileBytes = DEFAULT_MAX_SECRET_FILE_BYTES,
  ) {}

  wants(path: string, size: number): boolean {
    if (!secretScanWantsPath(path, size) || this.scanner.allowsPath(path)) return false;
    if (size > this.maxFileBytes) {
      this.oversized++;
      if (!this.largestSkipped || size > this.largestSkipped.size) this.largestSkipped = { path, size };
      return false;
    }
    return true;
  }

  /** Binaries are recognised from their first bytes and never collected. */
  accepts(head: Buffer): boolean {
    return !looksBinary(head);
  }

  file(layerIndex: number, path: string, content: Buffer): void {
    if (looksBinary(content)) return;
    this.filesScanned++;
    this.bytesScanned += content.length;
    // Trivy's analyzer drops carriage returns, so CRLF files report the same lines and matches.
    const text = content.includes(CR) ? withoutCarriageReturns(content) : content;
    // Trivy scans image files under their absolute path (its path rules see `/etc/...`).
    for (const secret of this.scanner.scan(`/${path}`, text)) {
      this.found.push({ layerIndex, path, secret });
      this.pathsWithSecrets.add(path);
    }
  }

  /** Whether some layer's version of this path held a secret. */
  hasSecretsIn(path: string): boolean {
    return this.pathsWithSecrets.has(path);
  }

  /** What was left unscanned, for the scan's warnings (never a secret). */
  warnings(): string[] {
    if (this.oversized === 0 || !this.largestSkipped) return [];
    return [`secret scan: ${this.oversized} file(s) over the ${this.maxFileBytes}-byte limit were not read (largest: ${this.largestSkipped.path}, ${this.largestSkipped.size} bytes)`];
  }
}

function withoutCarriageReturns(content: Buffer): Buffer {
  const out = Buffer.allocUnsafe(content.length);
  let length = 0;
  for (let from = 0; from < content.length; ) {
    const at = content.indexOf(CR, from);
    const end = at === -1 ? content.length : at;
    length += content.copy(out, length, from, end);
    from = end + 1;
  }
  return out.subarray(0, length);
}

export interface SecretFindingContext {
  /** The artifact the findings are about (image id or root file system digest). */
  target: string;
  /** Layer name for a layer index (its diff_id); undefined for a root file system. */
  layerName(layerIndex: number): string | undefined;
  /** Whether the final file system still holds the file as that layer wrote it. */
  survives(layerIndex: number, path: string): boolean;
}

/**
 * Findings of the scanner's `secret` kind: one per secret, file and layer (the same file in two
 * layers is two findings), located `path:line`, with only the redacted line stored.
 */
export function secretFindings(found: readonly LayerSecret[], context: SecretFindingContext): FindingResult[] {
  return found.map(({ layerIndex, path, secret }) => {
    const layer = context.layerName(layerIndex);
    const removed = !context.survives(layerIndex, path);
    const data: SecretFindingData = {
      findingType: 'secret',
      category: secret.category,
      match: secret.match,
      ...(layer ? { layer } : {}),
      path,
      line: secret.startLine,
      ...(removed ? { removedInLaterLayer: true } : {}),
    };
    return {
      kind: 'scanner',
      severity: secret.severity,
      ruleId: secret.ruleId,
      title: secret.title,
      target: context.target,
      location: `${path}:${secret.startLine}`,
      // Two secrets on one line, or one file in two layers, are distinct findings.
      fingerprint: createHash('sha256')
        .update(['scanner', 'secret', secret.ruleId, context.target, layer ?? '', path, String(secret.startLine), String(secret.offset)].join('\u0000'))
        .digest('hex'),
      data: data as unknown as Record<string, unknown>,
    };
  });
}
