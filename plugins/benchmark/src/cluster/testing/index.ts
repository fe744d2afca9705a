// `@bulkhead/plugin-benchmark/testing`: the stand-in kube-apiserver and a replayed cluster, for
// tests and benchmarks only (lint keeps them out of production code).
export * from './stand-in-apiserver';
export * from './replayed-cluster';
export * from './plugin-db';
export * from './pki';
// The inventory's store and normalisation, for tests that store a replayed cluster as the watch does.
export { ClusterStore } from '../store';
export { toClusterObject, toWorkload, type ClusterObject } from '../model';
