// `@bulkhead/plugin-sdk/cli`: `bulkhead` subcommands contributed by a plugin. commander is a
// peer dependency of this entry only (its types; commands are added to the host's commander).
export * from './plugin-cli';
export * from './cli-error';
export * from './list-options';
export * from './ignore-file';
export * from './file-errors';
export * from './color';
