import { importUnleash, type UnleashPayload } from '@switchboard/core/unleash';
import { type ValidationIssue, validateFlagConfig, validateSegment } from '@switchboard/core/validation';
import { type Actor, actorRef } from '../../domain/actor.ts';
import { type ChangeDeps, lockAllEnvironments, runChange } from '../../domain/changes.ts';
import { toSnapshotFlag } from '../../domain/snapshot-flag.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.ts';
import { findEnvironment } from '../environments/store.ts';
import { announceEverywhere } from '../flags/service.ts';
import { dependencyGraph, findFlag, findFlagEnvironment, insertFlag, updateFlagEnvironmentIfVersion } from '../flags/store.ts';
import { findSegment, insertSegment, segmentKeys, updateSegmentIfVersion } from '../segments/store.ts';

export interface ImportReport {
  environment: string;
  flags: { created: string[]; updated: string[] };
  segments: { created: string[]; updated: string[] };
  /** Flags left out because they do not validate (only with `skipInvalid`). */
  skipped: Array<{ key: string; issues: ValidationIssue[] }>;
  warnings: string[];
}

/**
 * Takes an Unleash export into one environment in one transaction: everything is validated before
 * the first write, so a bad payload changes nothing.
 */
export async function importUnleashExport(
  deps: ChangeDeps,
  actor: Actor,
  environment: string,
  payload: UnleashPayload,
  options: { skipInvalid?: boolean | undefined } = {},
): Promise<ImportReport> {
  return runChange(deps, actor, async (c) => {
    await lockAllEnvironments(c.tx);
    if (!(await findEnvironment(c.tx, environment))) throw new NotFoundError(`Environment ${environment}`);
    let imported: ReturnType<typeof importUnleash>;
    try {
      imported = importUnleash(payload);
    } catch (err) {
      throw new ValidationError(`Not an Unleash export: ${(err as Error).message}`);
    }

    const issues: ValidationIssue[] = [];
    imported.segments.forEach((s, i) => {
      for (const issue of validateSegment(s)) issues.push({ ...issue, path: `/data/segments/${i}${issue.path}` });
    });
    const knownSegments = new Set([...(await segmentKeys(c.tx)), ...imported.segments.map((s) => s.key)]);
    if (issues.length > 0) throw new ValidationError('The export cannot be imported as it is', issues);

    // Flags are checked against each other (dependencies); with `skipInvalid`, the invalid ones are
    // left out, which may in turn invalidate flags that depend on them: repeat until stable.
    let flags = imported.flags;
    const skipped: ImportReport['skipped'] = [];
    for (;;) {
      const graph = await dependencyGraph(c.tx, environment);
      for (const f of flags)
        graph.set(
          f.config.key,
          (f.config.dependencies ?? []).map((d) => d.flag),
        );
      const problems = flags.map((f, i) => ({
        flag: f,
        issues: validateFlagConfig(f.config, { segments: knownSegments, dependenciesOf: (k) => graph.get(k) }).map((issue) => ({
          ...issue,
          path: `/data/features/${i}${issue.path}`,
        })),
      }));
      const invalid = problems.filter((p) => p.issues.length > 0);
      if (invalid.length === 0) break;
      if (!options.skipInvalid)
        throw new ValidationError(
          'The export cannot be imported as it is',
          invalid.flatMap((p) => p.issues),
        );
      for (const p of invalid) skipped.push({ key: p.flag.config.key, issues: p.issues });
      flags = flags.filter((f) => !invalid.some((p) => p.flag === f));
    }

    const report: ImportReport = {
      environment,
      flags: { created: [], updated: [] },
      segments: { created: [], updated: [] },
      skipped,
      warnings: imported.warnings,
    };
    for (const s of imported.segments) {
      const existing = await findSegment(c.tx, s.key);
      if (existing) {
        await updateSegmentIfVersion(c.tx, s.key, existing.version, { conditions: s.conditions });
        report.segments.updated.push(s.key);
      } else {
        await insertSegment(c.tx, { key: s.key, name: s.key, conditions: s.conditions });
        report.segments.created.push(s.key);
      }
      await c.appendChangeEverywhere(() => ({ op: 'segment', key: s.key, segment: s }));
    }
    for (const f of flags) {
      const { key, enabled, ...config } = f.config;
      let flag = await findFlag(c.tx, key);
      if (flag?.archivedAt) throw new ConflictError(`Flag ${key} is archived; restore or delete it before importing`);
      if (flag) {
        report.flags.updated.push(key);
      } else {
        flag = await insertFlag(
          c.tx,
          { key, name: key, description: f.description ?? '', kind: config.variants ? 'multivariate' : 'boolean' },
          actorRef(actor),
        );
        report.flags.created.push(key);
        // The other environments hear of the new flag (off there) like any created flag.
        await announceEverywhere(c, flag);
      }
      const current = await findFlagEnvironment(c.tx, key, environment);
      if (!current) throw new Error(`flag ${key} has no config in ${environment}`);
      const row = await updateFlagEnvironmentIfVersion(c.tx, key, environment, current.version, enabled, config, actorRef(actor));
      if (!row) throw new Error(`flag ${key} changed during the import`);
      await c.appendChange(environment, { op: 'flag', key, flag: toSnapshotFlag(key, enabled, config, flag.clientVisible) });
      await c.audit({
        action: 'flag.imported',
        resourceType: 'flag',
        resourceKey: key,
        environmentKey: environment,
        after: { enabled, ...config },
      });
    }
    await c.audit({
      action: 'import.unleash',
      resourceType: 'environment',
      resourceKey: environment,
      environmentKey: environment,
      after: report,
    });
    return report;
  });
}
