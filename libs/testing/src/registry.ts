// The test-registry helper lives in @bulkhead/oci/testing (libs/oci's own tests use it); it is
// re-exported here so every suite finds its helpers in one place.
export { describeWithRegistry, startTestRegistry, testRegistryMissing, freePort, type TestRegistry, type TestRegistryAuth } from '@bulkhead/oci/testing';
