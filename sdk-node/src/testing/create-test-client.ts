import type { AnyFlags, FlagConfig, FlagKey, Payload, SnapshotPayload } from '@switchboard/core';
import type { CommonClientOptions } from '../client-options.ts';
import { SwitchboardClient } from '../switchboard-client.ts';

/** What a test gives for one flag: on/off, or the variant (and its payload) everyone gets. */
export type TestFlagValue<V> = V extends boolean
  ? boolean
  : V extends { variant: infer N; payload?: infer P }
    ? boolean | { variant: N; payload?: P; enabled?: boolean }
    : never;

export type TestFlagValues<F> = { [K in FlagKey<F>]?: TestFlagValue<F[K]> };

export type TestClientOptions = Pick<CommonClientOptions, 'logger' | 'onExposure' | 'appName' | 'environment' | 'staticContext'>;

function payloadOf(value: unknown): Payload | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return { type: 'number', value: String(value) };
  if (typeof value === 'string') return { type: 'string', value };
  return { type: 'json', value: JSON.stringify(value) };
}

function flagOf(key: string, value: unknown): FlagConfig {
  if (typeof value === 'boolean') return { key, enabled: value };
  const v = (value ?? {}) as { variant?: unknown; payload?: unknown; enabled?: unknown };
  const payload = payloadOf(v.payload);
  const variant = { name: String(v.variant), weight: 1, ...(payload === undefined ? {} : { payload }) };
  return { key, enabled: v.enabled !== false, variants: [variant] };
}

/**
 * The real client, offline, on flags a test states: every context gets the value given. `set()`
 * changes one and emits `change` as a delivered update would.
 */
export class TestSwitchboardClient<F = AnyFlags> extends SwitchboardClient<F> {
  private readonly values: Record<string, unknown>;
  private testRevision = 1;

  constructor(values: TestFlagValues<F>, options: TestClientOptions = {}) {
    const copy: Record<string, unknown> = { ...values };
    super({ ...options, offline: true, metrics: false, bootstrap: TestSwitchboardClient.snapshotOf(copy, 1) });
    this.values = copy;
  }

  /** Changes one flag's value (a new flag when the key is new); listeners get a `change` event. */
  set<K extends FlagKey<F>>(key: K, value: TestFlagValue<F[K]>): this {
    this.values[key] = value;
    this.replaceData(TestSwitchboardClient.snapshotOf(this.values, ++this.testRevision));
    return this;
  }

  private static snapshotOf(values: Record<string, unknown>, revision: number): SnapshotPayload {
    return { environment: 'test', revision, flags: Object.entries(values).map(([key, value]) => flagOf(key, value)), segments: [] };
  }
}

/**
 * A client for tests, with the real client's interface:
 * `createTestClient<Flags>({ 'new-checkout': true, banner: { variant: 'b', payload: { title: 'Hi' } } })`.
 */
export function createTestClient<Flags = AnyFlags>(
  values: TestFlagValues<Flags>,
  options?: TestClientOptions,
): TestSwitchboardClient<Flags> {
  return new TestSwitchboardClient<Flags>(values, options);
}
