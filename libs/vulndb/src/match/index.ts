export * from './matcher';
export { groupByAlias, isCveId } from './alias-groups';
export type { AliasGroup } from './alias-groups';
export { prepareRange, evaluateRange } from './range-evaluator';
export type { PreparedRange, RangeVerdict } from './range-evaluator';
export * from './in-memory-lookup';
