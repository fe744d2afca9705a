export * from './reference';
export * from './digest';
export * from './limits';
export * from './image';
export * from './walk';
export * from './decompress';
export { readLayer, layerName, type LayerEntryHeader, type LayerEntryVisitor, type ReadLayerOptions, type UncompressedBudget } from './layer-reader';
export { DirectoryBlobStore, TarBlobStore, type BlobStore } from './blob-store';
export { resolveInRoot, joinWithinRoot } from './paths';
