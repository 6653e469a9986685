/**
 * The parts of the admin API's answers the CLI reads. Written out here rather than imported from
 * the server's schemas: the CLI is a client of the wire format, which may come from another version
 * of the server, and it only relies on these fields.
 */

export interface EnvironmentSummary {
  enabled: boolean;
  version: number;
  ruleCount: number;
  updatedAt: string;
  lastEvaluatedAt: string | null;
}

export interface FlagView {
  key: string;
  name: string;
  description: string;
  kind: string;
  tags: string[];
  clientVisible: boolean;
  archived: boolean;
  version: number;
  updatedAt: string;
  environments: Record<string, EnvironmentSummary>;
}

export interface FlagList {
  flags: FlagView[];
  total: number;
}

export interface Environment {
  key: string;
  name: string;
}

export interface Condition {
  attribute: string;
  operator: string;
  values: string[];
  inverted?: boolean;
  caseInsensitive?: boolean;
}

export interface Variant {
  name: string;
  weight: number;
}

export interface Rollout {
  percentage: number;
  stickiness?: string;
  groupId?: string;
}

export interface Rule {
  id: string;
  description?: string;
  segments?: string[];
  conditions?: Condition[];
  rollout?: Rollout;
  variants?: Variant[];
  variantStickiness?: string;
}

export interface Dependency {
  flag: string;
  enabled?: boolean;
  variants?: string[];
}

export interface FlagEnvironmentView {
  flag: string;
  environment: string;
  enabled: boolean;
  rules: Rule[];
  variants: Variant[];
  dependencies: Dependency[];
  version: number;
  updatedAt: string;
}

export interface RampStep {
  percentage: number;
  holdSeconds: number;
}

export interface ThresholdGuard {
  kind?: 'threshold';
  metric: string;
  comparator: 'gt' | 'lt';
  threshold: number;
  action: 'pause' | 'rollback';
}

export interface MetricGuard {
  kind: 'metric';
  metric: string;
  direction: 'lower_is_better' | 'higher_is_better';
  minEffect: number;
  action: 'pause' | 'rollback';
}

export type RampGuard = ThresholdGuard | MetricGuard;

export interface GuardMetricView {
  metric: string;
  direction: string;
  minEffect: number;
  alpha: number;
  since: string | null;
  decision: 'harm' | 'no_harm' | 'no_data';
  estimate: number | null;
  interval: { lower: number | null; upper: number | null } | null;
  treatmentEvents: number;
  controlEvents: number;
  series: Array<{ minute: string; share: number; treatment: number; control: number }>;
}

export interface RampView {
  id: string;
  flag: string;
  environment: string;
  ruleId: string;
  steps: RampStep[];
  guard: RampGuard | null;
  state: string;
  currentStep: number;
  previousPercentage: number | null;
  nextStepAt: string | null;
  reason: string | null;
}

export interface SdkKeyView {
  id: string;
  name: string;
  environment: string;
  kind: 'server' | 'client';
  prefix: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface CreatedSdkKeyView extends SdkKeyView {
  secret: string;
}

export interface Payload {
  type: string;
  value: string;
}

/** A variant as the export carries it (payload types are the server's: string, number, json, csv). */
export interface ExportedVariant {
  name: string;
  weight?: number;
  payload?: Payload;
}

/** A flag of `GET /api/admin/export?environment=`, with only the fields the CLI reads. */
export interface ExportedFlag {
  key: string;
  name: string;
  description: string;
  clientVisible: boolean;
  environments: Record<string, { enabled: boolean; variants?: ExportedVariant[]; rules?: Array<{ variants?: ExportedVariant[] }> }>;
}
