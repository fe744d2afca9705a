export * from './builtin-plugins';
export * from './load-plugins';
export * from './plugin-package';
