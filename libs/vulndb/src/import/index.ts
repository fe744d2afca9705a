export * from './limits';
export { osvRecordToAdvisory, isRejected, type OsvRecordContext } from './osv-record';
export * from './osv-reader';
export { readDebianTrackerLists, DEBIAN_TRACKER_SOURCE, DEFAULT_DEBIAN_RELEASES, type DebianTrackerOptions } from './debian/tracker-lists-reader';
export { readDebianTrackerJson, type DebianTrackerJsonOptions } from './debian/tracker-json-reader';
export type { ReleaseSourceVersion } from './debian/release-rules';
export { readAlpineSecdb, ALPINE_SECDB_SOURCE, type AlpineSecdbOptions } from './alpine/secdb-reader';
export * from './read-advisories';
