export * from './run-task';
export * from './collecting-emitter';
