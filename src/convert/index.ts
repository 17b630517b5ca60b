export { convertCapture, outputPathFor } from './convert-capture.js';
export { createSipDirectory } from './sip-directory.js';
export type { ConvertHooks, ConvertOptions, FileReport, OutputReport, StreamReport } from './convert-capture.js';
export { collectInputs, CAPTURE_EXTENSIONS, captureStem, isCaptureFileName, planOutputStems } from './inputs.js';
export type { CaptureInput, InputList } from './inputs.js';
export { convertAll } from './batch.js';
export type { BatchOptions, BatchProgress, BatchSummary } from './batch.js';
export { ConversionPool } from './pool.js';
export type { ByteProgressSlot, PoolOptions } from './pool.js';
