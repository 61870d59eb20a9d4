declare module 'koa-redis' {
  import type { Redis } from 'ioredis';

  interface RedisStore {
    get(key: string): Promise<Record<string, unknown> | null>;
    set(key: string, session: Record<string, unknown>, ttl?: number): Promise<void>;
    destroy(key: string): Promise<void>;
  }

  export default function redisStore(options: { client: Redis }): RedisStore;
}
