export * from './checkpoints';
export * from './image-config';
export * from './image-filesystem';
export * from './image-fs-adapter';
export * from './image-scan';
export * from './dockerfile';
export * from './container-config';
export * from './tasks';
