/** Unleash's client-features payload (`GET /api/client/features`): what the importer reads and the exporter writes. */

export interface UnleashConstraint {
  contextName: string;
  operator: string;
  values?: string[];
  value?: string;
  inverted?: boolean;
  caseInsensitive?: boolean;
}

export interface UnleashVariant {
  name: string;
  weight: number;
  /** Unleash servers send it; SDKs only read `weight`. */
  weightType?: string;
  payload?: { type: string; value: string };
  stickiness?: string;
  overrides?: Array<{ contextName: string; values: string[] }>;
}

export interface UnleashStrategy {
  id?: string;
  name: string;
  parameters?: Record<string, string | number | undefined>;
  constraints?: UnleashConstraint[];
  segments?: Array<number | string>;
  variants?: UnleashVariant[];
  disabled?: boolean | null;
}

export interface UnleashFeature {
  name: string;
  description?: string | null;
  enabled: boolean;
  type?: string;
  project?: string;
  stale?: boolean;
  impressionData?: boolean;
  strategies?: UnleashStrategy[];
  variants?: UnleashVariant[] | null;
  dependencies?: Array<{ feature: string; enabled?: boolean; variants?: string[] }>;
}

export interface UnleashSegment {
  id: number | string;
  name?: string;
  constraints?: UnleashConstraint[];
}

export interface UnleashPayload {
  features: UnleashFeature[];
  segments?: UnleashSegment[];
}
