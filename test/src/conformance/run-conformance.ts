import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Context, EvaluateOptions, EvaluationResult } from '@switchboard/core';
import type { UnleashPayload } from '@switchboard/core/unleash';
import { type SpecFile, stateToPayload } from './spec-file.ts';

/** Whatever evaluates: core directly, or an SDK's evaluation path. */
export type Engine = (payload: UnleashPayload) => (flagKey: string, context: Context, options: EvaluateOptions) => EvaluationResult;

export interface FileResult {
  file: string;
  passed: number;
  failed: number;
  /** Rows whose answer depends on chance (random stickiness between 0% and 100%). */
  skipped: number;
  failures: string[];
}

const LOW: EvaluateOptions = { random: () => 0 };
const HIGH: EvaluateOptions = { random: () => 0.999_999 };

function variantOf(result: EvaluationResult) {
  const v: Record<string, unknown> = { name: result.variant.name };
  if (result.variant.payload) v.payload = result.variant.payload;
  v.enabled = result.variant.enabled;
  v.feature_enabled = result.enabled;
  return v;
}

export async function runFile(path: string, engine: Engine): Promise<FileResult> {
  const spec = JSON.parse(await readFile(path, 'utf8')) as SpecFile;
  const evaluateFlag = engine(stateToPayload(spec.state));
  const out: FileResult = { file: spec.name ?? path, passed: 0, failed: 0, skipped: 0, failures: [] };
  const rows = [
    ...(spec.tests ?? []).map((t) => ({ ...t, actual: (r: EvaluationResult) => r.enabled as unknown })),
    ...(spec.variantTests ?? []).map((t) => ({ ...t, actual: (r: EvaluationResult) => variantOf(r) as unknown })),
  ];
  for (const row of rows) {
    const low = row.actual(evaluateFlag(row.toggleName, row.context, LOW));
    const high = row.actual(evaluateFlag(row.toggleName, row.context, HIGH));
    if (!isDeepStrictEqual(low, high)) {
      out.skipped++;
      continue;
    }
    const expected = typeof row.expectedResult === 'object' ? { ...row.expectedResult } : row.expectedResult;
    if (isDeepStrictEqual(low, expected)) {
      out.passed++;
    } else {
      out.failed++;
      out.failures.push(`${row.description}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(low)}`);
    }
  }
  return out;
}

/** Runs every file listed in `<dir>/index.json`, in order. */
export async function runDirectory(dir: string, engine: Engine): Promise<FileResult[]> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as string[];
  const results: FileResult[] = [];
  for (const file of index) results.push(await runFile(join(dir, file), engine));
  return results;
}
