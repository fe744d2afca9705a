import type { AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import { packageUrl } from '../purl';

/** `groupId:artifactId` and version to a PackageResult (`pkg:maven/group/artifact@version`). */
export function mavenPackageResult(name: string, version: string, file: AnalyzerFile, path: string, metadata: Record<string, unknown>): PackageResult {
  const colon = name.indexOf(':');
  const groupId = colon < 0 ? '' : name.slice(0, colon);
  const artifactId = name.slice(colon + 1);
  return {
    type: 'maven',
    name,
    version,
    purl: packageUrl('maven', groupId || undefined, artifactId, version),
    path,
    ...(file.layer ? { layer: file.layer } : {}),
    metadata,
  };
}
