// `@bulkhead/oci/testing`: helpers for tests and benchmarks only (lint keeps them out of
// production code). Builds small OCI layouts and docker-archives in-process.
export * as testImageBuilder from './image-builder';
export { describeWithRegistry, startTestRegistry, testRegistryMissing, freePort, type TestRegistry, type TestRegistryAuth } from './registry';
