import type { EventSourceMessage } from 'eventsource-parser';

/** What an SDK would hold after applying a stream's events: flag key to `enabled`, plus the revision. */
export interface Mirror {
  revision: number;
  enabled: Map<string, boolean>;
}

export function mirrorOf(events: readonly EventSourceMessage[], start: Mirror = { revision: 0, enabled: new Map() }): Mirror {
  const m: Mirror = { revision: start.revision, enabled: new Map(start.enabled) };
  for (const e of events) {
    const data = JSON.parse(e.data);
    if (e.event === 'snapshot') {
      m.enabled = new Map(data.flags.map((f: { key: string; enabled: boolean }) => [f.key, f.enabled]));
      m.revision = data.revision;
    } else if (e.event === 'patch' && data.revision > m.revision) {
      for (const c of data.changes) {
        if (c.op === 'flag') m.enabled.set(c.flag.key, c.flag.enabled);
        if (c.op === 'flag-removed') m.enabled.delete(c.key);
      }
      m.revision = data.revision;
    }
  }
  return m;
}
