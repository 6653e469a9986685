import { createHash } from 'node:crypto';
import type { FlagConfig, Segment } from '@switchboard/core';
import { exportUnleash, type UnleashClientFeatures } from '@switchboard/core/unleash';
import type { EnvironmentState } from '../delivery/environment-state.ts';

interface Exported {
  revision: number;
  payload: UnleashClientFeatures;
  json: string;
}

export interface FeaturesBody {
  json: string;
  etag: string;
}

/**
 * The Unleash client-features form of each environment, built from the replica's in-memory state
 * once per revision and shared by every poll: a fleet of Unleash SDKs costs no query per poll.
 */
export class UnleashFeatures {
  private readonly exported = new Map<string, Exported>();

  private of(state: EnvironmentState): Exported {
    const held = this.exported.get(state.environment);
    if (held?.revision === state.revision) return held;
    const revision = state.revision;
    // The server snapshot is serialized once per revision already; its parse is ours alone to use.
    const snapshot = JSON.parse(state.serverSnapshot()) as { flags: FlagConfig[]; segments: Segment[] };
    const { payload } = exportUnleash(snapshot);
    const made = { revision, payload, json: JSON.stringify(payload) };
    this.exported.set(state.environment, made);
    return made;
  }

  /** The body and its ETag; `namePrefix` keeps the flags whose key starts with it, as Unleash does. */
  body(state: EnvironmentState, namePrefix?: string): FeaturesBody {
    const all = this.of(state);
    if (!namePrefix) return { json: all.json, etag: `"u${all.revision}"` };
    const features = all.payload.features.filter((f) => f.name.startsWith(namePrefix));
    const tag = createHash('sha256').update(namePrefix).digest('base64url').slice(0, 12);
    return { json: JSON.stringify({ ...all.payload, features }), etag: `"u${all.revision}-${tag}"` };
  }
}
