import type { Context } from '@switchboard/core';
import type { UnleashFeature, UnleashPayload, UnleashSegment } from '@switchboard/core/unleash';

/** One file of the Unleash client specification. */
export interface SpecFile {
  name: string;
  state: UnleashPayload | { events: SpecEvent[] };
  tests?: Array<{ description: string; context: Context; toggleName: string; expectedResult: boolean }>;
  variantTests?: Array<{
    description: string;
    context: Context;
    toggleName: string;
    expectedResult: { name: string; enabled: boolean; feature_enabled?: boolean; payload?: { type: string; value: string } };
  }>;
}

type SpecEvent =
  | { type: 'hydration'; features: UnleashFeature[]; segments?: UnleashSegment[] }
  | { type: 'feature-updated'; feature: UnleashFeature }
  | { type: 'feature-removed'; featureName: string }
  | { type: 'segment-updated'; segment: UnleashSegment }
  | { type: 'segment-removed'; segmentId: number | string };

/** Files 19 and 20 give Unleash's delta events; folding them in order yields an ordinary payload. */
export function stateToPayload(state: SpecFile['state']): UnleashPayload {
  if (!('events' in state)) return state;
  const features = new Map<string, UnleashFeature>();
  const segments = new Map<string, UnleashSegment>();
  for (const e of state.events) {
    switch (e.type) {
      case 'hydration':
        features.clear();
        segments.clear();
        for (const f of e.features) features.set(f.name, f);
        for (const s of e.segments ?? []) segments.set(String(s.id), s);
        break;
      case 'feature-updated':
        features.set(e.feature.name, e.feature);
        break;
      case 'feature-removed':
        features.delete(e.featureName);
        break;
      case 'segment-updated':
        segments.set(String(e.segment.id), e.segment);
        break;
      case 'segment-removed':
        segments.delete(String(e.segmentId));
        break;
    }
  }
  return { features: [...features.values()], segments: [...segments.values()] };
}
