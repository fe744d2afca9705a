export * from './run-task';
export * from './collecting-emitter';
export * from './child-tasks';
