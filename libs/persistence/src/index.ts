import 'reflect-metadata';

export * from './entities';
export * from './migrations';
export * from './data-source';
export * from './pagination';
export * from './task-store';
export * from './image-store';
export * from './finding-store';
export * from './finding-upsert';
export * from './finding-lifecycle';
export * from './table-name';
export * from './result-writer';
export * from './plugin-migrations';
export * from './team';
export * from './api-token-store';
export * from './audit-log-store';
export * from './upload-store';
