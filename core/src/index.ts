export { BUCKETS, bucketOf, rolloutThreshold, VARIANT_SEED } from './bucketing.ts';
export { type CompiledFlag, type CompiledSnapshot, type CompileOptions, compileSnapshot } from './compile.ts';
export type { Matcher, MatcherFactory } from './conditions.ts';
export { resolveAttribute } from './context.ts';
export { type EvaluateOptions, evaluate, evaluateAll, evaluateCompiled } from './evaluate.ts';
export * from './model.ts';
export { murmur3 } from './murmur3.ts';
export * from './protocol.ts';
export type { CompiledRegex, RegexEngine } from './regex.ts';
