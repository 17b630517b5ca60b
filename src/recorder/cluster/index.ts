// Scaling out on BullMQ over Redis: the service queues its conversions, `recorder worker` processes run them.
export { describeRedis, redisConnection } from './connection.js';
export type { ClusterSettings, RedisConnection } from './connection.js';
export { CONVERSION_JOB, ClusterUnavailableError, ConversionQueue, conversionJobId } from './conversion-queue.js';
export type { ClusterStatus, ConversionJobData, DeadLetter } from './conversion-queue.js';
export { startConversionWorker } from './conversion-worker.js';
export type { ConversionWorkerOptions, RunningConversionWorker } from './conversion-worker.js';
