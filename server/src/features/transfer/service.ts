import type { Condition } from '@switchboard/core';
import { IssueCode, isValidKey, type ValidationIssue, validateFlagConfig, validateSegment } from '@switchboard/core/validation';
import { asc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { flagEnvironments, flags, type StoredFlagConfig, segments } from '../../db/schema/index.ts';
import { type Actor, actorRef } from '../../domain/actor.ts';
import { type ChangeDeps, lockAllEnvironments, runChange } from '../../domain/changes.ts';
import { NotFoundError, ValidationError } from '../../errors.ts';
import { listEnvironments } from '../environments/store.ts';
import { announceEverywhere, patchFlagEnvironment } from '../flags/service.ts';
import { findFlag, insertFlag, updateFlagIfVersion } from '../flags/store.ts';
import { findSegment, insertSegment, updateSegmentIfVersion } from '../segments/store.ts';

/** Flags and segments as a portable JSON document: for backups, reviews and moving between servers. */
export interface ExportDocument {
  version: 1;
  exportedAt: string;
  flags: Array<{
    key: string;
    name: string;
    description: string;
    kind: string;
    tags: string[];
    clientVisible: boolean;
    environments: Record<string, StoredFlagConfig & { enabled: boolean }>;
  }>;
  segments: Array<{ key: string; name: string; description: string; conditions: Condition[] }>;
}

export async function exportDocument(db: Database, environment?: string): Promise<ExportDocument> {
  const flagRows = await db.select().from(flags).where(isNull(flags.archivedAt)).orderBy(asc(flags.key));
  const configRows = await db
    .select()
    .from(flagEnvironments)
    .where(environment ? eq(flagEnvironments.environmentKey, environment) : undefined);
  const segmentRows = await db.select().from(segments).orderBy(asc(segments.key));
  return {
    version: 1,
    exportedAt: new Date().toISOString(),
    flags: flagRows.map((f) => ({
      key: f.key,
      name: f.name,
      description: f.description,
      kind: f.kind,
      tags: f.tags,
      clientVisible: f.clientVisible,
      environments: Object.fromEntries(
        configRows.filter((c) => c.flagKey === f.key).map((c) => [c.environmentKey, { enabled: c.enabled, ...c.config }]),
      ),
    })),
    segments: segmentRows.map((s) => ({ key: s.key, name: s.name, description: s.description, conditions: s.conditions })),
  };
}

function flagKeyIssues(doc: ExportDocument): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  doc.flags.forEach((f, i) => {
    for (const issue of validateFlagConfig({ key: f.key, enabled: false }))
      issues.push({ ...issue, path: `/document/flags/${i}${issue.path}` });
    for (const env of Object.keys(f.environments))
      if (!isValidKey(env))
        issues.push({
          path: `/document/flags/${i}/environments`,
          code: IssueCode.Invalid,
          message: `${JSON.stringify(env)} is not an environment key`,
        });
  });
  return issues;
}

export interface ImportReport {
  dryRun: boolean;
  flags: { created: string[]; updated: string[] };
  segments: { created: string[]; updated: string[] };
  environments: string[];
  skippedEnvironments: string[];
}

class DryRun extends Error {
  constructor(readonly report: ImportReport) {
    super('dry run');
  }
}

/**
 * Applies a document in one transaction: segments first, then flags and their configurations, each
 * through the same validation and history as an edit. With `dryRun` the transaction is rolled back
 * after everything was checked, so the report says what would happen.
 */
export async function importDocument(
  deps: ChangeDeps,
  actor: Actor,
  doc: ExportDocument,
  options: { environment?: string | undefined; dryRun?: boolean | undefined },
) {
  try {
    return await runChange(deps, actor, async (c) => {
      await lockAllEnvironments(c.tx);
      const known = new Set((await listEnvironments(c.tx)).map((e) => e.key));
      if (options.environment && !known.has(options.environment)) throw new NotFoundError(`Environment ${options.environment}`);
      const report: ImportReport = {
        dryRun: options.dryRun === true,
        flags: { created: [], updated: [] },
        segments: { created: [], updated: [] },
        environments: [],
        skippedEnvironments: [],
      };
      const issues = doc.segments.flatMap((s, i) =>
        validateSegment(s).map((issue) => ({ ...issue, path: `/document/segments/${i}${issue.path}` })),
      );
      if (issues.length > 0) throw new ValidationError('The document holds invalid segments', issues);
      // Every flag key by the rules of flag creation, before the first write: a flag whose
      // environments are all left out is never validated on the way in otherwise.
      const flagIssues = flagKeyIssues(doc);
      if (flagIssues.length > 0) throw new ValidationError('The document holds invalid flag keys', flagIssues);
      for (const s of doc.segments) {
        const existing = await findSegment(c.tx, s.key);
        if (existing) {
          await updateSegmentIfVersion(c.tx, s.key, existing.version, {
            name: s.name,
            description: s.description,
            conditions: s.conditions,
          });
          report.segments.updated.push(s.key);
        } else {
          await insertSegment(c.tx, { key: s.key, name: s.name, description: s.description, conditions: s.conditions });
          report.segments.created.push(s.key);
        }
        await c.appendChangeEverywhere(() => ({ op: 'segment', key: s.key, segment: { key: s.key, conditions: s.conditions } }));
      }
      // Metadata first, so dependencies between imported flags resolve whatever their order.
      for (const f of doc.flags) {
        const existing = await findFlag(c.tx, f.key);
        if (existing?.archivedAt) throw new ValidationError(`Flag ${f.key} is archived here; restore or delete it before importing`);
        const meta = { name: f.name, description: f.description, kind: f.kind, tags: f.tags, clientVisible: f.clientVisible };
        const row = existing
          ? await updateFlagIfVersion(c.tx, f.key, existing.version, meta)
          : await insertFlag(c.tx, { key: f.key, ...meta }, actorRef(actor));
        (existing ? report.flags.updated : report.flags.created).push(f.key);
        // Environments the document leaves out still hear of a new flag or a change of visibility.
        if (row && (!existing || existing.clientVisible !== row.clientVisible)) await announceEverywhere(c, row);
      }
      const seen = new Set<string>();
      for (const f of doc.flags) {
        for (const [env, { enabled, ...config }] of Object.entries(f.environments)) {
          if (options.environment && env !== options.environment) continue;
          if (!known.has(env)) {
            if (!report.skippedEnvironments.includes(env)) report.skippedEnvironments.push(env);
            continue;
          }
          seen.add(env);
          await patchFlagEnvironment(c, f.key, env, undefined, { enabled, ...config }, 'flag.imported');
        }
      }
      report.environments = [...seen].sort();
      await c.audit({ action: 'import.document', resourceType: 'import', resourceKey: options.environment ?? '*', after: report });
      if (options.dryRun) throw new DryRun(report);
      return report;
    });
  } catch (err) {
    if (err instanceof DryRun) return err.report;
    throw err;
  }
}
