import { resolve } from 'node:path';
import { coreEngine } from './core-engine.ts';
import { defaultSpecDir } from './paths.ts';
import { runDirectory } from './run-conformance.ts';

// Usage: pnpm conformance [DIR ...]. Relative paths are taken from where pnpm was invoked.
const base = process.env.INIT_CWD ?? process.cwd();
const dirs = process.argv.slice(2).filter((a) => a !== '--');
const targets = dirs.length > 0 ? dirs.map((d) => resolve(base, d)) : [defaultSpecDir];

let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of targets) {
  for (const r of await runDirectory(dir, coreEngine)) {
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
    const mark = r.failed > 0 ? 'FAIL' : 'ok  ';
    const extra = r.skipped > 0 ? ` (${r.skipped} random, not checked)` : '';
    console.log(`${mark} ${r.file}: ${r.passed}/${r.passed + r.failed}${extra}`);
    for (const f of r.failures) console.log(`       ${f}`);
  }
}
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
