export {
  exportUnleash,
  type UnleashClientFeatures,
  type UnleashDifference,
  UnleashDifferenceCode,
  type UnleashExport,
  type UnleashExportInput,
  unleashDifferences,
} from './export-unleash.ts';
export { type ImportedFlag, importUnleash, type UnleashImport } from './import-unleash.ts';
export type { UnleashConstraint, UnleashFeature, UnleashPayload, UnleashSegment, UnleashStrategy, UnleashVariant } from './types.ts';
