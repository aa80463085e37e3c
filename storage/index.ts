export { Store } from './store.js';
export type { ContainerRecord, DiffRecipe, ImageRecord, LayerBlob, LayerRecord, StoreState } from './records.js';
export { BlobStore } from './blob-store.js';
export { findImage, findContainer, normalizeImageName } from './lookup.js';
export { resolveStoreRoot, type StoreLocation } from './paths.js';
export * from './errors.js';
export { tagImage, removeImage, type RemoveImageResult } from './image-ops.js';
