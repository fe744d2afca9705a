export * from './builtin-plugins';
export * from './load-plugins';
