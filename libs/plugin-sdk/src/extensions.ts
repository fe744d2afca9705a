import type { Analyzer } from './scanner';

/**
 * Named extension points: finer-grained contributions a plugin makes to the built-in task of a
 * kind. A third-party plugin can, for example, add a scanner analyzer without writing a task.
 * Each kind adds its extension point here.
 */
export interface ExtensionPoints {
  /** Extra analyzers run by the scanner's `scan-image` task over the image file system. */
  'scanner.analyzer': Analyzer;
}

export type ExtensionContributions = { readonly [P in keyof ExtensionPoints]?: readonly ExtensionPoints[P][] };
