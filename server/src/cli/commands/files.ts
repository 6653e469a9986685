import { readFile, writeFile } from 'node:fs/promises';
import { CliError } from '../errors.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON file, `-` being stdin (so `export | import -` pipes). A bad file is an error, exit 1. */
export async function readJsonFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 'FILE_UNREADABLE');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${file === '-' ? 'stdin' : file} is not JSON: ${(err as Error).message}`, 'INVALID_JSON');
  }
}

export async function writeJsonFile(file: string, value: unknown): Promise<void> {
  try {
    await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
  } catch (err) {
    throw new CliError(`cannot write ${file}: ${(err as Error).message}`, 'FILE_UNWRITABLE');
  }
}
