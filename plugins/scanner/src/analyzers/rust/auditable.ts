import { inflateSync } from 'node:zlib';
import { BadInputError } from '@bulkhead/plugin-sdk';
import type { ObjectFile } from '../golang/object-file';
import { crateId, type Crate } from './crate';

/** Largest dependency list accepted once inflated (real ones are a few KB; this refuses bombs). */
const MAX_JSON = 8 * 1024 * 1024;

/** The `.dep-v0` section cargo-auditable embeds (ELF and PE: `.dep-v0`; Mach-O: `__DATA,.dep-v0`). */
export function auditableSection(object: ObjectFile): Buffer | undefined {
  return object.section('.dep-v0');
}

interface AuditPackage {
  name?: unknown;
  version?: unknown;
  kind?: unknown;
  dependencies?: unknown;
  root?: unknown;
}

/**
 * Decodes cargo-auditable's zlib-compressed JSON (`{"packages": [{name, version, source, kind,
 * dependencies: [indexes], root}]}`) into the crates compiled into the binary, as Trivy reports
 * them: runtime crates only (`kind` absent or `runtime`; build-time crates are not in the
 * binary), the root crate marked, each crate's runtime dependencies by id.
 */
export function parseAuditableSection(compressed: Buffer, file: string): Crate[] {
  let json: Buffer;
  try {
    json = inflateSync(compressed, { maxOutputLength: MAX_JSON });
  } catch (error) {
    throw new BadInputError(`${file}: .dep-v0 section does not inflate (${(error as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json.toString('utf8'));
  } catch (error) {
    throw new BadInputError(`${file}: .dep-v0 section is not JSON (${(error as Error).message})`);
  }
  const packages = (doc as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(packages)) throw new BadInputError(`${file}: .dep-v0 JSON has no "packages" list`);
  const list = packages as AuditPackage[];
  const isRuntime = (p: AuditPackage | undefined): p is AuditPackage & { name: string; version: string } =>
    p !== undefined && typeof p.name === 'string' && typeof p.version === 'string' && (p.kind === undefined || p.kind === 'runtime');
  const crates: Crate[] = [];
  for (const pkg of list) {
    if (!isRuntime(pkg)) continue;
    const deps = Array.isArray(pkg.dependencies) ? (pkg.dependencies as unknown[]) : [];
    const dependsOn = deps.flatMap((index) => {
      const dep = typeof index === 'number' ? list[index] : undefined;
      return isRuntime(dep) ? [crateId(dep.name, dep.version)] : [];
    });
    crates.push({
      id: crateId(pkg.name, pkg.version),
      name: pkg.name,
      version: pkg.version,
      relationship: pkg.root === true ? 'root' : 'unknown',
      ...(dependsOn.length > 0 ? { dependsOn } : {}),
    });
  }
  return crates;
}
