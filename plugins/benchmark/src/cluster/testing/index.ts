// `@bulkhead/plugin-benchmark/testing`: the cluster test helpers, for tests and benchmarks only.
export { StandInApiServer, standInKubeconfig, type StandInOptions } from './stand-in-apiserver';
export { createClusterTestDatabase, type ClusterTestDatabase } from './plugin-db';
export { ClusterStore } from '../store';
export { toClusterObject, toWorkload, type ClusterObject } from '../model';
