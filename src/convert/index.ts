export { convertCapture, outputPathFor } from './convert-capture.js';
export type { ConvertOptions, FileReport, OutputReport, StreamReport } from './convert-capture.js';
export { collectInputs, CAPTURE_EXTENSIONS } from './inputs.js';
export type { InputList } from './inputs.js';
export { convertAll } from './batch.js';
export type { BatchOptions, BatchSummary } from './batch.js';
export { ConversionPool } from './pool.js';
export type { PoolOptions } from './pool.js';
