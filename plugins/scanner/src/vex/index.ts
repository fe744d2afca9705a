export * from './vex';
