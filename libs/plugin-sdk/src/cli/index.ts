// `@bulkhead/plugin-sdk/cli`: `bulkhead` subcommands contributed by a plugin. commander is a
// peer dependency of this entry only.
export * from './plugin-cli';
