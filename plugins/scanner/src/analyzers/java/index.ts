import type { Analyzer, AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import { ContentMemo } from '../golang/content-memo';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { isJavaArchive, parseJavaArchive, type JavaPackage } from './jar';
import { mavenPackageResult } from './maven-package';

export { parseJavaArchive, isJavaArchive, type JavaPackage } from './jar';
export { parseManifest, manifestCoordinates } from './manifest';
export { DEFAULT_ZIP_LIMITS, type ZipLimits } from './zip-archive';
export { pomAnalyzer, wantsPomFile } from './pom-analyzer';
export { PomResolver, type MavenArtifact, type PomFiles } from './pom-resolver';
export { parsePomXml } from './pom-xml';

/** What each archive gave, across the per-layer calls (see ContentMemo); a corrupt one gives its error again. */
const archiveMemo = new ContentMemo<Promise<JavaPackage[]>>();

function archivePackages(file: AnalyzerFile): Promise<JavaPackage[]> {
  return archiveMemo.get(file) ?? archiveMemo.set(file, parseJavaArchive(file.content, file.path));
}

/**
 * Java archives (.jar, .war, .ear, .par) anywhere in the image. `path` of a package found in a
 * nested archive is the archive's path followed by the path inside it
 * (`app/x.war/WEB-INF/lib/y.jar`), as Trivy reports it; `metadata.archive` is the image file.
 * An archive that is not a readable zip is skipped.
 */
export const jarAnalyzer: Analyzer = {
  id: 'jar',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: 256 * 1024 * 1024,
  wants: isJavaArchive,
  async analyze(files, ctx) {
    const packages: PackageResult[] = [];
    for (const file of files) {
      ctx.signal?.throwIfAborted();
      try {
        for (const pkg of await archivePackages(file)) {
          packages.push(mavenPackageResult(pkg.name, pkg.version, file, pkg.filePath, { archive: file.path, ...(pkg.licenses ? { licenses: pkg.licenses } : {}) }));
        }
      } catch (error) {
        if (!(error instanceof BadInputError)) throw error;
      }
    }
    return { packages };
  },
};
