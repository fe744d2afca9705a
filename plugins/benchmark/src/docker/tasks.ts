import { readFile } from 'node:fs/promises';
import { parseImageReference } from '@bulkhead/oci';
import { BadInputError, defineTask } from '@bulkhead/plugin-sdk';
import { z } from 'zod';
import type { BenchmarkReport } from '../report';
import { toFindings } from '../report/findings';
import { checkContainers, parseContainerConfig } from './container-config';
import { checkDockerfile } from './dockerfile';
import { parseImageConfig } from './image-config';
import { checkImageConfig, checkImageReference } from './image-scan';

export const DOCKERFILE_TASK = 'dockerfile';
export const IMAGE_CONFIG_TASK = 'image-config';
export const CONTAINER_CONFIG_TASK = 'container-config';

/** The server-side file or folder an image reference (`oci:<dir>`, `docker-archive:<file>`, `rootfs:<dir>`) opens. */
function imageReferencePaths(reference: string | undefined): { field: string; path: string }[] {
  if (reference === undefined) return [];
  const source = parseImageReference(reference);
  if (source.kind === 'registry') return [];
  return [{ field: 'reference', path: source.kind === 'docker-archive' ? source.file : source.dir }];
}

export async function readInputFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new BadInputError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

export const dockerfileInput = z.object({ path: z.string().min(1) });

/** Dockerfile checks (hadolint DL rules, CIS-DI items) on one Dockerfile. */
export const dockerfileTask = defineTask({
  type: DOCKERFILE_TASK,
  description: 'Check a Dockerfile against hadolint rules and the CIS Docker Benchmark image section',
  input: dockerfileInput,
  serverInputs: (input) => ({ paths: [{ field: 'path', path: input.path }] }),
  async run(input, ctx): Promise<BenchmarkReport> {
    const report = checkDockerfile(await readInputFile(input.path, 'Dockerfile'), input.path);
    await ctx.emit.findings(toFindings(report.results));
    return report;
  },
});

/**
 * `reference`: an image to open (`oci:<dir>[:<ref>]`, `docker-archive:<file>`, `rootfs:<dir>`);
 * config and file-system checks run. `configPath`: an image config JSON alone; config checks run.
 */
export const imageConfigInput = z
  .object({
    reference: z.string().min(1).optional(),
    configPath: z.string().min(1).optional(),
    /** The image's name for the `latest` check when the reference is a file. */
    imageName: z.string().min(1).optional(),
    contentTrust: z.boolean().optional(),
  })
  .refine((i) => (i.reference === undefined) !== (i.configPath === undefined), { message: 'give exactly one of reference and configPath' });

/** CIS Docker image checks (Dockle checkpoints) over an image or an image config JSON. */
export const imageConfigTask = defineTask({
  type: IMAGE_CONFIG_TASK,
  description: 'Check an image (config and final file system) against the CIS Docker Benchmark image section and Dockle checkpoints',
  input: imageConfigInput,
  serverInputs: (input) => ({ paths: [...(input.configPath !== undefined ? [{ field: 'configPath', path: input.configPath }] : []), ...imageReferencePaths(input.reference)] }),
  async run(input, ctx): Promise<BenchmarkReport> {
    const options = {
      ...(input.imageName ? { reference: input.imageName } : {}),
      ...(input.contentTrust !== undefined ? { contentTrust: input.contentTrust } : {}),
    };
    const report =
      input.reference !== undefined
        ? await checkImageReference(input.reference, { ...options, signal: ctx.signal })
        : checkImageConfig(parseImageConfig(await readInputFile(input.configPath ?? '', 'image config'), input.configPath ?? ''), input.imageName ?? input.configPath ?? '', options);
    await ctx.emit.findings(toFindings(report.results));
    return report;
  },
});

export const containerConfigInput = z.object({ path: z.string().min(1) });

/** CIS Docker section 5 checks over `docker inspect` output or an OCI runtime config.json. */
export const containerConfigTask = defineTask({
  type: CONTAINER_CONFIG_TASK,
  description: 'Check container runtime settings (docker inspect JSON or OCI runtime config.json) against CIS Docker Benchmark section 5',
  input: containerConfigInput,
  serverInputs: (input) => ({ paths: [{ field: 'path', path: input.path }] }),
  async run(input, ctx): Promise<BenchmarkReport> {
    const report = checkContainers(parseContainerConfig(await readInputFile(input.path, 'container config'), input.path));
    await ctx.emit.findings(toFindings(report.results));
    return report;
  },
});
