import { FlagdCore } from '@openfeature/flagd-core';
import { CALL_MASK, type CallOrder, type FlagSpec, type User } from '../scenarios.ts';
import type { Engine, LoadedEngine } from './engine.ts';

type EvaluationContext = NonNullable<Parameters<FlagdCore['resolveBooleanEvaluation']>[2]>;

/** JSON Logic: `in` for the lists, `fractional` on flag key + targetingKey for the rollout. */
function toFlag(spec: FlagSpec) {
  const checks: unknown[] = [];
  if (spec.countries) checks.push({ in: [{ var: 'country' }, [...spec.countries]] });
  if (spec.excludedPlans) checks.push({ '!': { in: [{ var: 'plan' }, [...spec.excludedPlans]] } });
  const rollout =
    spec.rollout === undefined
      ? null
      : {
          fractional: [
            ['on', spec.rollout],
            ['off', 100 - spec.rollout],
          ],
        };
  const variants = { on: true, off: false };
  // No targeting at all is flagd's static flag: the default variant for everyone.
  if (checks.length === 0 && rollout === null) return { state: 'ENABLED', variants, defaultVariant: 'on' };
  const targeting = checks.length === 0 ? rollout : { if: [checks.length === 1 ? checks[0] : { and: checks }, rollout ?? 'on', 'off'] };
  return { state: 'ENABLED', variants, defaultVariant: 'off', targeting };
}

function wire(flags: readonly FlagSpec[]): string {
  return JSON.stringify({ flags: Object.fromEntries(flags.map((f) => [f.key, toFlag(f)])) });
}

/** FlagdCore is flagd's in-process evaluator: it takes the config as text and never does I/O. */
function start(flags: readonly FlagSpec[]): FlagdCore {
  const core = new FlagdCore();
  core.setConfigurations(wire(flags));
  return core;
}

/** flagd's sticky id is the OpenFeature targetingKey. */
function toContext(user: User): EvaluationContext {
  return { targetingKey: user.userId, country: user.country, plan: user.plan };
}

export const flagdCore: Engine = {
  name: 'flagd-core',

  async load(flags) {
    const core = start(flags);
    return { core, close() {} };
  },

  async prepare(flags, users): Promise<LoadedEngine> {
    const core = start(flags);
    const keys = flags.map((f) => f.key);
    const contexts = users.map(toContext);
    return {
      isOn: (flagIndex, userIndex) =>
        core.resolveBooleanEvaluation(keys[flagIndex] as string, false, contexts[userIndex] as EvaluationContext).value,
      run(order: CallOrder, from: number, count: number): number {
        const flagOrder = order.flags;
        const userOrder = order.users;
        let on = 0;
        for (let i = from, end = from + count; i < end; i++) {
          const j = i & CALL_MASK;
          if (
            core.resolveBooleanEvaluation(
              keys[flagOrder[j] as number] as string,
              false,
              contexts[userOrder[j] as number] as EvaluationContext,
            ).value
          ) {
            on++;
          }
        }
        return on;
      },
      close() {},
    };
  },
};
