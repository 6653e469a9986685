import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The fenced code blocks of a Markdown text, without their fences. */
function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

/**
 * The quickstarts' code in the README is the code the quickstart tests run: each example file
 * appears there whole, as one code block, so the two cannot drift apart.
 */
describe('README quickstarts', () => {
  const blocks = codeBlocks(read('README.md'));
  it.each(['examples/express/server.js', 'examples/vite-react/src/main.tsx', 'examples/vite-react/src/app.tsx'])(
    '%s is a code block of the README',
    (file) => {
      expect(blocks).toContain(read(file));
    },
  );
});
