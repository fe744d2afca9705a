export * from './paths';
export * from './skip-suite';
export * from './shared-data';
export * from './test-image';
export * from './tiny-image';
export * from './minbase-image';
export * from './test-images';
export * from './registry';
