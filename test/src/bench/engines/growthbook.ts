import { type FeatureApiResponse, type FeatureDefinition, GrowthBookClient, type UserContext } from '@growthbook/growthbook';
import { CALL_MASK, type CallOrder, type FlagSpec, type User } from '../scenarios.ts';
import type { Engine, LoadedEngine } from './engine.ts';

function toFeature(spec: FlagSpec): FeatureDefinition<boolean> {
  if (spec.countries === undefined && spec.excludedPlans === undefined && spec.rollout === undefined) return { defaultValue: true };
  const condition: Record<string, { $in: string[] } | { $nin: string[] }> = {};
  if (spec.countries) condition.country = { $in: [...spec.countries] };
  if (spec.excludedPlans) condition.plan = { $nin: [...spec.excludedPlans] };
  return {
    defaultValue: false,
    rules: [
      {
        ...(Object.keys(condition).length > 0 ? { condition } : {}),
        ...(spec.rollout === undefined ? {} : { coverage: spec.rollout / 100, hashAttribute: 'userId' }),
        force: true,
      },
    ],
  };
}

function wire(flags: readonly FlagSpec[]): string {
  const payload: FeatureApiResponse = { features: Object.fromEntries(flags.map((f) => [f.key, toFeature(f)])) };
  return JSON.stringify(payload);
}

/**
 * GrowthBookClient is the SDK's multi-user (server) form: one instance, the user passed per call.
 * The single-user GrowthBook would need an instance or an async setAttributes per user. initSync
 * with a payload and no clientKey never fetches.
 */
function start(flags: readonly FlagSpec[]): GrowthBookClient {
  return new GrowthBookClient().initSync({ payload: JSON.parse(wire(flags)) as FeatureApiResponse });
}

function toContext(user: User): UserContext {
  return { attributes: { userId: user.userId, country: user.country, plan: user.plan } };
}

export const growthbook: Engine = {
  name: 'growthbook',

  async load(flags) {
    const client = start(flags);
    return { client, close: () => client.destroy() };
  },

  async prepare(flags, users): Promise<LoadedEngine> {
    const client = start(flags);
    const keys = flags.map((f) => f.key);
    const contexts = users.map(toContext);
    return {
      isOn: (flagIndex, userIndex) => client.isOn(keys[flagIndex] as string, contexts[userIndex] as UserContext),
      run(order: CallOrder, from: number, count: number): number {
        const flagOrder = order.flags;
        const userOrder = order.users;
        let on = 0;
        for (let i = from, end = from + count; i < end; i++) {
          const j = i & CALL_MASK;
          if (client.isOn(keys[flagOrder[j] as number] as string, contexts[userOrder[j] as number] as UserContext)) on++;
        }
        return on;
      },
      close: () => client.destroy(),
    };
  },
};
