import type { GoModule } from './go-module';
import { goModuleId } from './go-module';

/**
 * Parses a go.sum file: `module version[/go.mod] hash` lines. go.sum lists every version it
 * checked, sorted, so the last version listed for a module is the one kept (as Trivy does).
 * Lines with fewer than two fields are ignored (blank lines; go.sum has no comments).
 */
export function parseGoSum(text: string): GoModule[] {
  const latest = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const fields = raw.trim().split(/\s+/);
    const [path, version] = fields;
    if (!path || !version) continue;
    latest.set(path, version.endsWith('/go.mod') ? version.slice(0, -'/go.mod'.length) : version);
  }
  return [...latest].map(([name, version]) => ({ id: goModuleId(name, version), name, version }));
}
