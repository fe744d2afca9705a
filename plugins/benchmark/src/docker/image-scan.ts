import { openImage } from '@bulkhead/oci';
import { benchmarkReport, type BenchmarkReport } from '../report';
import { assessmentsToResults, type Assessment } from './checkpoints';
import { assessImageConfig, IMAGE_CONFIG_CODES, type ImageConfigJson, type ImageConfigOptions } from './image-config';
import { assessImageFilesystem, IMAGE_FILESYSTEM_CODES, type ImageFilesystemOptions, type ImageFilesystemView } from './image-filesystem';
import { imageFilesystemView } from './image-fs-adapter';

export interface ImageCheckOptions extends ImageConfigOptions, ImageFilesystemOptions {
  signal?: AbortSignal;
}

/** Image-config checks only (a config JSON from `docker inspect`/a registry, no file system). */
export function checkImageConfig(config: ImageConfigJson, target: string, options: ImageConfigOptions = {}): BenchmarkReport {
  const assessments = assessImageConfig(config, options);
  return benchmarkReport(`CIS Docker image checks (config) of ${target}`, assessmentsToResults(assessments, IMAGE_CONFIG_CODES, target));
}

/** Config and file-system checks over a config plus a file-system view. */
export async function checkImage(config: ImageConfigJson, fs: ImageFilesystemView, target: string, options: ImageCheckOptions = {}): Promise<BenchmarkReport> {
  const assessments: Assessment[] = [...assessImageConfig(config, options), ...(await assessImageFilesystem(fs, options))];
  return benchmarkReport(`CIS Docker image checks of ${target}`, assessmentsToResults(assessments, [...IMAGE_CONFIG_CODES, ...IMAGE_FILESYSTEM_CODES], target));
}

/**
 * Opens `oci:<dir>[:<ref>]`, `docker-archive:<file>` or `rootfs:<dir>` with @bulkhead/oci and
 * runs every image check. A root file system has no config: only file-system checks run.
 * Content trust (CIS-DI-0005) follows DOCKER_CONTENT_TRUST of this process unless given.
 */
export async function checkImageReference(reference: string, options: ImageCheckOptions = {}): Promise<BenchmarkReport> {
  const artifact = await openImage(reference, options.signal ? { signal: options.signal } : {});
  const fs = await imageFilesystemView(artifact, options.signal);
  const contentTrust = options.contentTrust ?? process.env['DOCKER_CONTENT_TRUST'] === '1';
  if (artifact.kind === 'rootfs') {
    const assessments = await assessImageFilesystem(fs, options);
    return benchmarkReport(`CIS Docker image checks of ${reference}`, assessmentsToResults(assessments, IMAGE_FILESYSTEM_CODES, reference));
  }
  // DKL-DI-0006 looks at the name the user gave (as Dockle does), not at tags inside an archive.
  return checkImage(artifact.config.raw as ImageConfigJson, fs, reference, { ...options, contentTrust, reference: options.reference ?? reference });
}
