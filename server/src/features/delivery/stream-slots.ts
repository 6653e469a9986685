import type { Audience } from './stream-connection.ts';

export interface StreamLimits {
  /** Streams of server keys one replica holds. */
  server: number;
  /** Streams of client keys one replica holds; a separate pool, so browsers cannot starve backends. */
  client: number;
  /** Streams one SDK key may hold on one replica. */
  perKey: number;
  /** Streams one client address may hold on one replica. */
  perAddress: number;
}

/** Which limit refused a stream: part of the 429's details, stable for clients and dashboards. */
export const StreamLimit = {
  Pool: 'pool',
  Key: 'key',
  Address: 'address',
} as const;
export type StreamLimit = (typeof StreamLimit)[keyof typeof StreamLimit];

export type Reservation = { ok: true; release: () => void } | { ok: false; limit: StreamLimit };

/**
 * Counts of open (and opening) streams by pool, key and address. A slot is taken in the same
 * synchronous step as the check, before the caller awaits anything, so concurrent opens cannot
 * all pass one check and overshoot; the caller gives it back exactly once, however the stream ends.
 */
export class StreamSlots {
  private readonly pools = { server: 0, client: 0 };
  private readonly byKey = new Map<string, number>();
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: StreamLimits) {}

  reserve(audience: Audience, keyId: string, address: string): Reservation {
    if (this.pools[audience] >= this.limits[audience]) return { ok: false, limit: StreamLimit.Pool };
    if ((this.byKey.get(keyId) ?? 0) >= this.limits.perKey) return { ok: false, limit: StreamLimit.Key };
    if ((this.byAddress.get(address) ?? 0) >= this.limits.perAddress) return { ok: false, limit: StreamLimit.Address };
    this.pools[audience]++;
    bump(this.byKey, keyId, 1);
    bump(this.byAddress, address, 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.pools[audience]--;
        bump(this.byKey, keyId, -1);
        bump(this.byAddress, address, -1);
      },
    };
  }

  count(audience: Audience): number {
    return this.pools[audience];
  }
}

function bump(map: Map<string, number>, id: string, delta: number): void {
  const n = (map.get(id) ?? 0) + delta;
  // Entries at zero go, so the maps hold only what is open (addresses come and go by the million).
  if (n <= 0) map.delete(id);
  else map.set(id, n);
}
