export * from './workload';
