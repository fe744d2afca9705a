import { usageError } from '@bulkhead/plugin-sdk/cli';
import { parseImageConfig } from '../docker/image-config';
import { checkImageConfig, checkImageReference } from '../docker/image-scan';
import { readInput, renderReport, validateOutputOptions, type BenchCommandOutput, type BenchOutputOptions } from './bench-output';

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
  /** `--accept-key NAME[,NAME]` (repeatable): ENV/ARG names never reported as secrets (Dockle's --accept-key). */
  acceptKey?: readonly string[] | string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function parseAcceptKeys(value: readonly string[] | string | undefined): string[] {
  if (value === undefined) return [];
  const list = (typeof value === 'string' ? [value] : value).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  const bad = list.filter((v) => !ENV_NAME.test(v));
  if (bad.length > 0) throw usageError(`--accept-key ${JSON.stringify(bad[0])} is not an environment variable name`);
  return list;
}

/** `bench image` as a pure function. */
export async function runBenchImage(options: BenchImageOptions): Promise<BenchCommandOutput> {
  validateOutputOptions(options);
  const acceptKeys = parseAcceptKeys(options.acceptKey);
  const checkOptions = {
    ...(acceptKeys.length > 0 ? { acceptKeys } : {}),
    ...(options.name ? { reference: options.name } : {}),
    ...(options.contentTrust !== undefined ? { contentTrust: options.contentTrust } : {}),
  };
  const report = options.configOnly
    ? checkImageConfig(parseImageConfig(await readInput(options.target, 'image config'), options.target), options.name ?? options.target, checkOptions)
    : await checkImageReference(options.target, checkOptions);
  // The image's configuration is no file of the user's: the table says so instead of a file:line.
  return renderReport(report, options, { informationUri: 'https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md', unlocated: options.configOnly ? `${options.target} (no line)` : 'image config (no file:line)' });
}
