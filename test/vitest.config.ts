import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'test',
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    // Teardown closes a browser, a server and drops its database; with 3 workers on 2 cores that
    // took over vitest's default 10 s once in CI (admin-ui/change-requests) though every test passed.
    hookTimeout: 60_000,
  },
});
