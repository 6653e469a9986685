/**
 * An application process for the guarded-ramp test: sdk-node evaluating FLAG for a pool of
 * users, and tracking `errors` at a rate that depends on the result each got (ERROR_ON when the flag
 * is on for them, ERROR_OFF otherwise). Every 200 ms it prints how many of its users have the flag
 * on, so the test sees when the SDK received a step or the rollback.
 *
 * Env: URL, SDK_KEY, FLAG, ERROR_ON, ERROR_OFF, SEED.
 */
import { createClient } from '@switchboard/sdk-node';

const { URL: url = '', SDK_KEY: sdkKey = '', FLAG: flag = '' } = process.env;
const errorOn = Number(process.env.ERROR_ON);
const errorOff = Number(process.env.ERROR_OFF);
let seed = Number(process.env.SEED ?? 1);
// mulberry32: the errors of a run are the same every run.
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const client = createClient({ url, sdkKey, metricsIntervalMs: 250, logger: { debug() {}, info() {}, warn() {}, error() {} } });
const users = Array.from({ length: 2000 }, (_, i) => ({ userId: `${process.env.SEED}-u${i}` }));
// Results are remembered for attribution from the first track() on.
client.track('started');
await client.ready({ timeoutMs: 10_000 });
let next = 0;
const evaluate = setInterval(() => {
  for (let i = 0; i < 100; i++) {
    const user = users[next++ % users.length];
    if (!user) continue;
    const on = client.isEnabled(flag, user);
    if (random() < (on ? errorOn : errorOff)) client.track('errors', user);
  }
}, 50);
const census = setInterval(() => {
  let on = 0;
  for (const user of users) if (client.isEnabled(flag, user)) on++;
  process.stdout.write(`${JSON.stringify({ on, of: users.length })}\n`);
}, 200);
process.on('SIGTERM', () => {
  clearInterval(evaluate);
  clearInterval(census);
  void client.close().then(() => process.exit(0));
});
