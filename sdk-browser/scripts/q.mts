import { measureEntries } from './measure-size.ts';
const r = await measureEntries();
console.log(r.map((x) => `${x.name} ${x.gzipped}`).join(' | '));
if (process.argv[2]) for (const i of r[0]?.inputs ?? []) console.log(i.bytes, i.file);
