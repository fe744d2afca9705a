import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Repository root: the nearest folder holding nx.json, from this file upwards (it is
 * libs/testing/src in sources and dist/libs/testing/src once compiled for benchmarks).
 */
export const repoRoot = findRepoRoot(__dirname);

function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'nx.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '../../..');
  }
}
