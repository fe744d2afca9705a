export { rpmAnalyzer, parseRpmDatabase, rpmDatabaseBlobs, RPM_DATABASES } from './analyzer';
export { rpmqaAnalyzer, parseRpmqaManifest, RPMQA_MANIFEST } from './rpmqa';
export { parseRpmHeader, type RpmHeaderPackage } from './header';
export { rpmEvr, splitSourceRpm, type RpmPackage } from './rpm-package';
