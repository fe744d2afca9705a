import { z } from 'zod';
import { definePlugin, defineTask } from '@bulkhead/plugin-sdk';
import { parseImageReference } from '@bulkhead/oci';
import { builtinAnalyzers } from './analyzers';
import { scanArtifact } from './scan';
import { importAdvisoriesTask } from './tasks/import-advisories';
import { rematchVulnerabilitiesTask } from './tasks/rematch-vulnerabilities';
import { updateAdvisoriesTask } from './tasks/update-advisories';

export const SCANNER_PLUGIN_VERSION = '0.1.0';

export const scanImageInput = z.object({
  source: z.string().min(1).describe('Image reference: oci:<dir>[:<ref>], docker-archive:<file> or rootfs:<dir>'),
});

export interface ScanImageSummary {
  /** The image id (config digest); a root file system's content digest. */
  digest: string;
  os: { family: string; version: string } | null;
  packageCount: number;
}

/**
 * `scan-image`: inventory scan of an image or root file system. Emits the artifact, its package
 * inventory and findings from extension analyzers (the built-ins report packages only).
 */
export const scanImageTask = defineTask({
  type: 'scan-image',
  description: 'Lists the OS and the OS packages (dpkg, apk) of an image or root file system, per layer',
  input: scanImageInput,
  serverInputs(input) {
    const source = parseImageReference(input.source);
    return { paths: [{ field: 'source', path: source.kind === 'docker-archive' ? source.file : source.dir }] };
  },
  async run(input, ctx): Promise<ScanImageSummary> {
    const result = await scanArtifact(input.source, {
      analyzers: [...builtinAnalyzers, ...ctx.extensions('scanner.analyzer')],
      signal: ctx.signal,
      logger: ctx.logger,
      onProgress: (fraction, message) => ctx.progress(fraction, message),
    });
    if (result.warnings.length > 0) ctx.logger.warn({ warnings: result.warnings }, 'scan skipped some files');
    const { artifact } = result;
    await ctx.emit.artifact(artifact);
    await ctx.emit.packages(artifact.digest, result.packages);
    await ctx.emit.findings(result.findings);
    return {
      digest: artifact.digest,
      os: artifact.os ? { family: artifact.os.family, version: artifact.os.version } : null,
      packageCount: result.packages.length,
    };
  },
});

export const scannerPlugin = definePlugin({
  manifest: {
    id: 'bulkhead.scanner',
    version: SCANNER_PLUGIN_VERSION,
    kind: 'scanner',
    phases: ['build'],
    description: 'Image inventory: OS detection and dpkg/apk package lists, with the layer that introduced each package',
  },
  tasks: [scanImageTask, importAdvisoriesTask, updateAdvisoriesTask, rematchVulnerabilitiesTask],
});
