export type { BrowserBootstrap, EvaluationContext } from '@switchboard/core';
export { type BrowserBootstrapOptions, getBrowserBootstrap } from './get-browser-bootstrap.ts';
