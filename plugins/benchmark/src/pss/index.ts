export * from './types';
export * from './evaluator';
export * from './manifests';
export * from './titles';
