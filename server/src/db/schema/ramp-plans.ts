import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export interface RampStep {
  percentage: number;
  /** How long this step holds before the next one. */
  holdSeconds: number;
}

/** A metric experiment tooling reports; past the threshold the plan pauses or rolls back by itself. */
export interface ThresholdGuard {
  /** Absent on plans from before metric guards: a threshold guard. */
  kind?: 'threshold';
  metric: string;
  /** The plan trips when a signal's value is above (`gt`) or below (`lt`) this. */
  threshold: number;
  comparator: 'gt' | 'lt';
  action: 'pause' | 'rollback';
}

/**
 * An event the SDKs `track()`: while the plan runs, the server compares the event rate of those
 * served the rule's result with those who fell through it (features/ramps/guard-evaluator.ts).
 */
export interface MetricGuard {
  kind: 'metric';
  metric: string;
  direction: 'lower_is_better' | 'higher_is_better';
  /** The smallest relative change that matters (0.1: 10% more errors, or 10% fewer conversions). */
  minEffect: number;
  action: 'pause' | 'rollback';
}

export type RampGuard = ThresholdGuard | MetricGuard;

/** A staged rollout of one rule's percentage: 1% -> 5% -> 25% ..., each step a normal versioned change. */
export const rampPlans = pgTable(
  'ramp_plans',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    flagKey: text('flag_key').notNull(),
    environmentKey: text('environment_key').notNull(),
    ruleId: text('rule_id').notNull(),
    steps: jsonb('steps').$type<RampStep[]>().notNull(),
    guard: jsonb('guard').$type<RampGuard | null>(),
    /** `pending`, `running`, `paused`, `completed`, `aborted`, `rolled_back`. */
    state: text('state').notNull().default('pending'),
    /** Index of the step in force; -1 before the first. */
    currentStep: integer('current_step').notNull().default(-1),
    /** The rule's percentage before the plan started, for abort and rollback. */
    previousPercentage: jsonb('previous_percentage').$type<number | null>(),
    nextStepAt: timestamp('next_step_at', { withTimezone: true }),
    /** Why the plan stopped or paused, in words (e.g. the guard's signal). */
    reason: text('reason'),
    version: integer('version').notNull().default(1),
    createdBy: text('created_by').notNull(),
    /**
     * `user:<id>` or `token:<id>` of whoever set the work in motion; re-checked when it runs, so a
     * disabled or demoted author's pending work does not apply. Null on rows from before it existed.
     */
    authorRef: text('author_ref'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('ramp_plans_due').on(t.state, t.nextStepAt), index('ramp_plans_flag').on(t.flagKey, t.environmentKey)],
);
