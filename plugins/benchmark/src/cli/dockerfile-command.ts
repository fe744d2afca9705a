import { checkDockerfile } from '../docker/dockerfile';
import { readInputFile } from '../docker/tasks';
import { renderReport, type BenchCommandOutput, type BenchOutputOptions } from './bench-output';

/** Options of `bulkhead bench dockerfile <file> [--format F] [--exit-code N]`. */
export interface BenchDockerfileOptions extends BenchOutputOptions {
  file: string;
}

/** `bench dockerfile` as a pure function. */
export async function runBenchDockerfile(options: BenchDockerfileOptions): Promise<BenchCommandOutput> {
  const report = checkDockerfile(await readInputFile(options.file, 'Dockerfile'), options.file);
  return renderReport(report, options, { informationUri: 'https://github.com/hadolint/hadolint#rules' });
}
