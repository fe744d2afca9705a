export * from './objects';
export * from './load';
export * from './yaml';
export * from './workloads';
export * from './selectors';
export * from './evaluate';
export * from './task';
export * from './profiles';
