/**
 * layers/: layer tars. Diff an overlay upper dir into a deterministic tar, write it through
 * digests and a compressor in one pass, apply a layer onto a directory safely.
 * See layers/README.md for the contract.
 */
export { diffLayer, type DiffOptions } from './diff.js';
export { writeLayer, type WriteLayerOptions, type LayerInfo } from './write.js';
export { detectCompression, createCompressor, createDecompressor, CompressionError, DEFAULT_LEVEL } from './compression.js';
export { LayerPathError, LayerFormatError, LayerDiffError, LayerApplyError } from './errors.js';
export { toContainerId, toHostId, type IdMapEntry, type IdMappings } from './id-map.js';
export { OPAQUE_MARKER, WHITEOUT_PREFIX, OPAQUE_XATTRS } from './whiteout.js';
export { applyLayer, type ApplyOptions, type AppliedLayer } from './apply.js';
export { diffTrees } from './tree-diff.js';
export { plannedLayer, layerXattrs, type PlannedEntry, type PlannedLayerOptions } from './planned-layer.js';
