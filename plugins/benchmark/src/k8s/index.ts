export * from './objects';
export * from './load';
export * from './workloads';
export * from './selectors';
export * from './evaluate';
export * from './task';
export * from './profiles';
