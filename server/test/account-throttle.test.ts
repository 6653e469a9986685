import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { AccountThrottle } from '../src/features/auth/account-throttle.ts';

const silent = { warn: () => {} } as never;

/** A port nothing listens on: the Redis client gets a real connection refusal. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('per-account login throttle with Redis down', () => {
  it('keeps counting in the process: past the limit it refuses, and other accounts still log in', async () => {
    const redis = new Redis(`redis://127.0.0.1:${await closedPort()}`, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    redis.on('error', () => {});
    try {
      const throttle = new AccountThrottle(redis, 2, silent);
      expect(await throttle.retryAfterMs('a@example.test')).toBe(0);
      await throttle.recordFailure('a@example.test');
      await throttle.recordFailure('a@example.test');
      expect(await throttle.retryAfterMs('a@example.test')).toBeGreaterThan(0);
      expect(await throttle.retryAfterMs('b@example.test')).toBe(0);
      await throttle.reset('a@example.test');
      expect(await throttle.retryAfterMs('a@example.test')).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});
