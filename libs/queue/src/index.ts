export * from './names';
export * from './job-options';
export * from './redis';
export * from './task-queues';
export * from './task-events';
export * from './task-submitter';
export * from './reconciler';
export * from './stable-json';
