import { checkContainers, parseContainerConfig } from '../docker/container-config';
import { readInput, renderReport, validateOutputOptions, type BenchCommandOutput, type BenchOutputOptions } from './bench-output';

/** Options of `bulkhead bench container <inspect.json|config.json> [--format F] [--exit-code N]`. */
export interface BenchContainerOptions extends BenchOutputOptions {
  file: string;
}

/** `bench container` as a pure function: `docker inspect` output or an OCI runtime config.json. */
export async function runBenchContainer(options: BenchContainerOptions): Promise<BenchCommandOutput> {
  validateOutputOptions(options);
  const report = checkContainers(parseContainerConfig(await readInput(options.file, 'container config'), options.file));
  return renderReport(report, options, { informationUri: 'https://www.cisecurity.org/benchmark/docker', unlocated: `${options.file} (no line)` });
}
