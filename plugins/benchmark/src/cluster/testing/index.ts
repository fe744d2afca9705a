// `@bulkhead/plugin-benchmark/testing`: the stand-in kube-apiserver and a replayed cluster, for
// tests and benchmarks only (lint keeps them out of production code).
export * from './stand-in-apiserver';
export * from './replayed-cluster';
export * from './plugin-db';
export * from './pki';
