import { BadInputError, type Analyzer } from '@bulkhead/plugin-sdk';
import { rpmPackageResult, withSource, type RpmPackage } from './rpm-package';

/**
 * CBL-Mariner / Azure Linux distroless images have no rpm database, only the output of
 * `rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{INSTALLTIME}\t%{BUILDTIME}\t%{VENDOR}\t(none)\t%{SIZE}\t%{ARCH}\t%{EPOCHNUM}\t%{SOURCERPM}'`
 * written at image build time.
 */
export const RPMQA_MANIFEST = 'var/lib/rpmmanifest/container-manifest-2';

/** Parses the manifest; a line without its ten fields is an error naming the line (as Trivy). */
export function parseRpmqaManifest(text: string, where = RPMQA_MANIFEST): RpmPackage[] {
  const packages: RpmPackage[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line === '') return;
    const fields = line.split('\t');
    const at = `${where}:${index + 1}`;
    if (fields.length !== 10) throw new BadInputError(`${at}: failed to parse a line (${line}): ${fields.length} tab-separated fields, 10 expected`);
    const [name = '', versionRelease = '', , , vendor = '', , , arch = '', epochNum = '', sourceRpm = ''] = fields;
    const versionParts = versionRelease.split('-');
    if (versionParts.length !== 2 || !versionParts[0] || !versionParts[1]) throw new BadInputError(`${at}: version-release ${JSON.stringify(versionRelease)} does not split into a version and a release`);
    if (!/^\d+$/.test(epochNum)) throw new BadInputError(`${at}: EPOCHNUM ${JSON.stringify(epochNum)} is not a number`);
    const epoch = Number(epochNum);
    packages.push(
      withSource(
        {
          name,
          version: versionParts[0],
          release: versionParts[1],
          ...(epoch > 0 ? { epoch } : {}),
          ...(arch ? { arch } : {}),
          ...(vendor && vendor !== '(none)' ? { vendor } : {}),
        },
        sourceRpm === '(none)' ? undefined : sourceRpm,
      ),
    );
  });
  return packages;
}

export const rpmqaAnalyzer: Analyzer = {
  id: 'rpmqa',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: 16 * 1024 * 1024,
  wants: (path) => path === RPMQA_MANIFEST,
  analyze(files, ctx) {
    return { packages: files.flatMap((file) => parseRpmqaManifest(file.content.toString('utf8'), file.path).map((pkg) => rpmPackageResult(pkg, ctx.os, file))) };
  },
};
