import {
  type CompiledSnapshot,
  type Context,
  compileSnapshot,
  evaluate,
  type FlagConfig,
  type Rule,
  type Snapshot,
} from '@switchboard/core';
import { CALL_MASK, type CallOrder, type FlagSpec, type User } from '../scenarios.ts';
import type { Engine, LoadedEngine } from './engine.ts';

function toFlag(spec: FlagSpec): FlagConfig {
  const conditions: NonNullable<Rule['conditions']> = [];
  if (spec.countries) conditions.push({ attribute: 'country', operator: 'IN', values: [...spec.countries] });
  if (spec.excludedPlans) conditions.push({ attribute: 'plan', operator: 'NOT_IN', values: [...spec.excludedPlans] });
  if (conditions.length === 0 && spec.rollout === undefined) return { key: spec.key, enabled: true };
  const rule: Rule = { id: 'rule-1' };
  if (conditions.length > 0) rule.conditions = conditions;
  if (spec.rollout !== undefined) rule.rollout = { percentage: spec.rollout, stickiness: 'userId' };
  return { key: spec.key, enabled: true, rules: [rule] };
}

function wire(flags: readonly FlagSpec[]): string {
  const snapshot: Snapshot = { revision: 1, flags: flags.map(toFlag) };
  return JSON.stringify(snapshot);
}

/** Only the compiled snapshot survives: the parsed wire snapshot is garbage once compiled. */
function compile(flags: readonly FlagSpec[]): CompiledSnapshot {
  return compileSnapshot(JSON.parse(wire(flags)) as Snapshot);
}

/** Custom attributes go in `properties`, the documented (and Unleash-compatible) shape. */
function toContext(user: User): Context {
  return { userId: user.userId, properties: { country: user.country, plan: user.plan } };
}

export const switchboard: Engine = {
  name: 'switchboard',

  async load(flags) {
    const snapshot = compile(flags);
    return { snapshot, close() {} };
  },

  async prepare(flags, users): Promise<LoadedEngine> {
    const snapshot = compile(flags);
    const keys = flags.map((f) => f.key);
    const contexts = users.map(toContext);
    return {
      isOn: (flagIndex, userIndex) => evaluate(snapshot, keys[flagIndex] as string, contexts[userIndex] as Context).enabled,
      run(order: CallOrder, from: number, count: number): number {
        const flagOrder = order.flags;
        const userOrder = order.users;
        let on = 0;
        for (let i = from, end = from + count; i < end; i++) {
          const j = i & CALL_MASK;
          if (evaluate(snapshot, keys[flagOrder[j] as number] as string, contexts[userOrder[j] as number] as Context).enabled) on++;
        }
        return on;
      },
      close() {},
    };
  },
};
