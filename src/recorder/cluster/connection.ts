// The Redis connection of the job queue, from the [cluster] settings.
import type { RecorderConfig } from '../../platform/config/index.js';

export type ClusterSettings = NonNullable<RecorderConfig['cluster']>;

/** ioredis options for BullMQ (which creates its own connections from them). */
export interface RedisConnection {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly password?: string;
  readonly tls?: Record<string, never>;
  /** null: a worker's blocking commands wait through a Redis restart instead of failing after some retries. */
  readonly maxRetriesPerRequest: null;
  /** Reconnect after a Redis restart, soon but not in a tight loop. */
  readonly retryStrategy: (times: number) => number;
}

export function redisConnection(cluster: ClusterSettings): RedisConnection {
  const url = new URL(cluster.redis);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : 6379,
    db,
    ...(cluster.password ? { password: cluster.password } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  };
}

/** Where the queue is, for logs (no password). */
export function describeRedis(cluster: ClusterSettings): string {
  const url = new URL(cluster.redis);
  return `${url.protocol}//${url.host}${url.pathname} queue ${cluster.queue}`;
}
