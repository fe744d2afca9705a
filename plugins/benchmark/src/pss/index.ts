export * from './types';
export * from './evaluator';
