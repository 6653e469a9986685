import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'core',
    // The bucketing tests walk up to a million ids.
    testTimeout: 60_000,
  },
});
