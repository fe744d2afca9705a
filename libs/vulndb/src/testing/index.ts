// `@bulkhead/vulndb/testing`: helpers for tests and benchmarks of the advisory database (other
// projects' tests build OSV zips and advisory records with them).
export { buildZip, type ZipEntrySpec, type ZipOptions } from '../import/testing/zip-writer';
export { debianAdvisory, npmAdvisory, stream } from '../store/testing/advisories.fixture';
