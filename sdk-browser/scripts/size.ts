import {
  measureEntries,
  measureNoSplitting,
  measureOwnCode,
  measureScriptTag,
  NO_SPLITTING_BUDGET,
  SCRIPT_TAG_BUDGET,
} from './measure-size.ts';

/** `pnpm size`: the gzipped size of each entry against its budget; exits 1 when one is over. */
const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
const reports = await measureEntries();
let over = false;
for (const r of reports) {
  const ok = r.gzipped <= r.budget;
  over ||= !ok;
  console.log(
    `${ok ? 'ok  ' : 'OVER'} ${r.name.padEnd(14)} ${kb(r.gzipped).padStart(9)} gzipped (budget ${kb(r.budget)}), ${kb(r.minified)} minified`,
  );
}
for (const [name, chunk, budget] of [
  ['. unsplit', await measureNoSplitting(), NO_SPLITTING_BUDGET],
  ['script tag', await measureScriptTag(), SCRIPT_TAG_BUDGET],
] as const) {
  const ok = chunk.gzipped <= budget;
  over ||= !ok;
  console.log(
    `${ok ? 'ok  ' : 'OVER'} ${name.padEnd(14)} ${kb(chunk.gzipped).padStart(9)} gzipped (budget ${kb(budget)}), ${kb(chunk.minified)} minified`,
  );
}
console.log('  (". unsplit": bundled without code splitting, REGEX left out; "script tag": dist/script/switchboard.global.js)');
const main = reports[0];
if (main) {
  console.log(`\n"." without core: ${kb(await measureOwnCode())} gzipped. Minified bytes per file of ".":`);
  for (const i of main.inputs) console.log(`  ${String(i.bytes).padStart(6)}  ${i.file}`);
  console.log('\nLoaded on demand by ".", only when a view or a context needs it:');
  for (const l of main.lazy) console.log(`  ${kb(l.gzipped).padStart(9)} gzipped  ${l.holds}`);
}
if (over) {
  console.error('\nA size budget is exceeded.');
  process.exitCode = 1;
}
