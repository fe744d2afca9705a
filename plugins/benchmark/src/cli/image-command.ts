import { parseImageConfig } from '../docker/image-config';
import { checkImageConfig, checkImageReference } from '../docker/image-scan';
import { readInputFile } from '../docker/tasks';
import { renderReport, type BenchCommandOutput, type BenchOutputOptions } from './bench-output';

/**
 * Options of `bulkhead bench image <target> [--config-only] [--name NAME] [--format F]
 * [--exit-code N]`. The target is `oci:<dir>[:<ref>]`, `docker-archive:<file>` or
 * `rootfs:<dir>`; with `--config-only` it is a path to an image config JSON.
 */
export interface BenchImageOptions extends BenchOutputOptions {
  target: string;
  configOnly?: boolean;
  /** The image's registry name (for the `latest` tag check) when the target is a file. */
  name?: string;
  /** Overrides DOCKER_CONTENT_TRUST of this process for CIS-DI-0005. */
  contentTrust?: boolean;
}

/** `bench image` as a pure function. */
export async function runBenchImage(options: BenchImageOptions): Promise<BenchCommandOutput> {
  const checkOptions = {
    ...(options.name ? { reference: options.name } : {}),
    ...(options.contentTrust !== undefined ? { contentTrust: options.contentTrust } : {}),
  };
  const report = options.configOnly
    ? checkImageConfig(parseImageConfig(await readInputFile(options.target, 'image config'), options.target), options.name ?? options.target, checkOptions)
    : await checkImageReference(options.target, checkOptions);
  return renderReport(report, options, { informationUri: 'https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md' });
}
