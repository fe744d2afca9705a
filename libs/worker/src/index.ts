export * from './worker-config';
export * from './worker-host';
export * from './task-processor';
export * from './progress-reporter';
export * from './shutdown';
export * from './task-platform';
export * from './task-flow';
export * from './child-outcomes';
