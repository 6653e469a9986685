import { defineConfig } from 'vitest/config';

// One run over every package, so the suite ends with one summary line.
export default defineConfig({
  test: {
    projects: ['core', 'server', 'sdk-node', 'sdk-browser', 'test'],
    // One more worker than the 2 cores CI has: many suites spend seconds waiting on timers, other
    // processes or a browser (recovery, faults, replicas, ramps), and a third worker uses that idle
    // time. Measured: the whole suite ran at an average concurrency of about 1 with 2 workers.
    maxWorkers: 3,
  },
});
