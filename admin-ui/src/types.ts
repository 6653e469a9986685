/**
 * What the admin API returns (server/src/features/<feature>/schemas.ts). The flag model itself
 * (conditions, rules, variants) is core's (core/src/model.ts); it is restated here because the UI
 * talks to the server over HTTP only and does not depend on @switchboard/core.
 */

export type Role = 'viewer' | 'editor' | 'admin';

export interface Me {
  kind: 'user' | 'token';
  id: string;
  name: string;
  role: Role;
  email?: string;
  /** Per-environment roles over `role` (issue 17), when the server lists them. */
  environmentRoles?: Record<string, Role>;
}

export interface Condition {
  attribute: string;
  operator: string;
  values: string[];
  inverted?: boolean;
  caseInsensitive?: boolean;
}

export interface Payload {
  type: string;
  value: string;
}

export interface Variant {
  name: string;
  weight: number;
  payload?: Payload;
  overrides?: Array<{ attribute: string; values: string[] }>;
}

export interface Rollout {
  percentage: number;
  stickiness?: string;
  groupId?: string;
}

export interface Rule {
  /** Absent on rules the UI adds; the server assigns one. */
  id?: string;
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

export interface FlagEnvironmentSummary {
  enabled: boolean;
  version: number;
  ruleCount: number;
  updatedAt: string;
  lastEvaluatedAt: string | null;
  /** Open change requests for this flag here (issue 17). */
  openChangeRequests?: number;
  /** Evaluations reported by SDKs (GET /flags and GET /flags/:key only). */
  evaluations?: { last24h: number; last7d: number };
}

export interface Flag {
  key: string;
  name: string;
  description: string;
  kind: string;
  tags: string[];
  clientVisible: boolean;
  archived: boolean;
  archivedAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  environments: Record<string, FlagEnvironmentSummary>;
}

/** The editable part of one environment's config. */
export interface FlagConfig {
  enabled: boolean;
  rules: Rule[];
  variants: Variant[];
  variantStickiness?: string;
  dependencies: Dependency[];
}

/** Where browsers evaluate a flag in one environment, as the server's client view decides it. */
export interface BrowserEvaluation {
  mode: 'local' | 'server' | 'hidden';
  reasons: Array<{ code: string; attribute?: string; ruleId?: string; segment?: string; flag?: string }>;
}

export interface FlagEnvironment extends FlagConfig {
  flag: string;
  environment: string;
  version: number;
  updatedAt: string;
  /** Where browsers evaluate it (GET only). */
  browser?: BrowserEvaluation;
}

export interface ConfigVersion extends FlagConfig {
  version: number;
  actor: string;
  createdAt: string;
}

export interface Environment {
  key: string;
  name: string;
  revision: number;
  version: number;
  createdAt: string;
  /** Issue 17: writes here are confirmed with their diff (absent on servers before it: not protected). */
  protected?: boolean;
  /** Approvals a change needs; 0 = direct writes. */
  requiredApprovals?: number;
  /** Whether the author may apply their own approved change request. */
  allowSelfApply?: boolean;
}

export interface Segment {
  key: string;
  name: string;
  description: string;
  conditions: Condition[];
  usedBy: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface SdkKey {
  id: string;
  name: string;
  environment: string;
  kind: 'server' | 'client';
  prefix: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
  secret?: string;
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  secret?: string;
  /** Issue 17: roles that override `role` in these environments. */
  environmentRoles?: Record<string, Role>;
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  version: number;
  createdAt: string;
  disabledAt: string | null;
  /** Issue 17: roles that override `role` in these environments. */
  environmentRoles?: Record<string, Role>;
}

export interface Attribute {
  name: string;
  description: string;
  sensitive: boolean;
  version: number;
  updatedAt: string;
}

export interface AuditEntry {
  id: number;
  actor: string;
  actorName: string;
  action: string;
  resourceType: string;
  resourceKey: string;
  environment: string | null;
  before: unknown;
  after: unknown;
  createdAt: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  nextBefore: number | null;
}

/** One `activity` event of GET /api/admin/stream. */
export interface Activity {
  action: string;
  resourceType: string;
  resourceKey: string;
  environment: string | null;
  actor: string;
  at: string;
}
