import { once } from 'node:events';
import { type ClientFeaturesResponse, type Context, InMemStorageProvider, Unleash } from 'unleash-client';
import { CALL_MASK, type CallOrder, type FlagSpec, type User } from '../scenarios.ts';
import type { Engine, LoadedEngine } from './engine.ts';

function toFeature(spec: FlagSpec) {
  const constraints = [];
  if (spec.countries) constraints.push({ contextName: 'country', operator: 'IN', values: [...spec.countries], inverted: false });
  if (spec.excludedPlans) constraints.push({ contextName: 'plan', operator: 'NOT_IN', values: [...spec.excludedPlans], inverted: false });
  const strategy =
    spec.rollout === undefined
      ? { name: 'default', parameters: {}, constraints }
      : { name: 'flexibleRollout', parameters: { rollout: String(spec.rollout), stickiness: 'userId', groupId: spec.key }, constraints };
  return { name: spec.key, type: 'release', enabled: true, strategies: [strategy] };
}

function wire(flags: readonly FlagSpec[]): string {
  return JSON.stringify({ version: 2, features: flags.map(toFeature) });
}

/**
 * Offline: bootstrap data, in-memory storage (no backup file), refreshInterval 0 (the poller never
 * fetches) and metrics off (nothing is sent). Resolves once the bootstrap is loaded.
 */
async function start(flags: readonly FlagSpec[]): Promise<Unleash> {
  const payload = JSON.parse(wire(flags)) as ClientFeaturesResponse;
  const unleash = new Unleash({
    appName: 'switchboard-bench',
    url: 'http://unleash.invalid/api',
    refreshInterval: 0,
    disableMetrics: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: payload.features },
  });
  await once(unleash, 'synchronized');
  return unleash;
}

function toContext(user: User): Context {
  return { userId: user.userId, properties: { country: user.country, plan: user.plan } };
}

export const unleashClient: Engine = {
  name: 'unleash-client',

  async load(flags) {
    const unleash = await start(flags);
    return { unleash, close: () => unleash.destroy() };
  },

  async prepare(flags, users): Promise<LoadedEngine> {
    const unleash = await start(flags);
    const keys = flags.map((f) => f.key);
    const contexts = users.map(toContext);
    return {
      isOn: (flagIndex, userIndex) => unleash.isEnabled(keys[flagIndex] as string, contexts[userIndex] as Context),
      run(order: CallOrder, from: number, count: number): number {
        const flagOrder = order.flags;
        const userOrder = order.users;
        let on = 0;
        for (let i = from, end = from + count; i < end; i++) {
          const j = i & CALL_MASK;
          if (unleash.isEnabled(keys[flagOrder[j] as number] as string, contexts[userOrder[j] as number] as Context)) on++;
        }
        return on;
      },
      close: () => unleash.destroy(),
    };
  },
};
