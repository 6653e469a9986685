/**
 * Run as its own process with `--expose-gc` (react-ssr.test.tsx): renders `<FlagProvider options>`
 * to a string many times, as a server rendering pages does, and prints what stayed behind: heap
 * growth after a forced collection, and the live handles and timers Node reports.
 */
import { renderToString } from 'react-dom/server';
import { FlagProvider, useFlag } from '../../src/react/index.ts';

const RENDERS = Number(process.argv[2] ?? 5000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const bootstrap = {
  snapshot: {
    environment: 'production',
    revision: 3,
    flags: [
      { key: 'alpha', enabled: true },
      { key: 'remote-one', enabled: true, remote: true as const },
    ],
  },
  context: { userId: 'u1' },
  results: [{ key: 'remote-one', value: true, variant: 'disabled', metadata: { enabled: true, reason: 'RULE_MATCH' as const } }],
};

function Page({ n }: { n: number }) {
  const alpha = useFlag('alpha');
  const remote = useFlag('remote-one');
  return `${n}:${alpha}:${remote}`;
}

const render = (n: number) =>
  renderToString(
    // A different url and key per render, as many tenants would: nothing may be shared or kept per key.
    <FlagProvider options={{ url: `http://127.0.0.1:9/${n}`, clientKey: `sbc_${n}` }} bootstrap={bootstrap}>
      <Page n={n} />
    </FlagProvider>,
  );

const settle = async () => {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
};

const first = render(0);
// Warm up: modules, JIT and React's own caches settle before the baseline is taken.
for (let i = 1; i <= 200; i++) render(i);
await settle();
const resourcesBefore = process.getActiveResourcesInfo();
const heapBefore = process.memoryUsage().heapUsed;
for (let i = 1; i <= RENDERS; i++) render(i);
await settle();
const heapAfter = process.memoryUsage().heapUsed;
const resourcesAfter = process.getActiveResourcesInfo();
console.log(JSON.stringify({ first, heapBefore, heapAfter, resourcesBefore, resourcesAfter }));
