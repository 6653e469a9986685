import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { type EvaluationDetails, type FlagValue, type JsonValue, OpenFeature } from '@openfeature/web-sdk';

/**
 * The page of the Chromium OFREP test: OpenFeature's web SDK with its OFREP web provider, nothing of
 * ours. The test drives it through `window.ofrepPage`.
 */

type FlagType = 'boolean' | 'string' | 'number' | 'object';
type Row = [value: unknown, variant: string | undefined, errorCode: string | undefined, metadata: Record<string, unknown>];

const DEFAULTS = { boolean: false, string: 'default-string', number: -1, object: { fallback: true } } as const;

async function start(baseUrl: string, headers: Array<[string, string]>): Promise<void> {
  await OpenFeature.setProviderAndWait(new OFREPWebProvider({ baseUrl, headers, pollInterval: 0, cacheMode: 'disabled' } as never));
}

function details(key: string, type: FlagType): EvaluationDetails<FlagValue> {
  const client = OpenFeature.getClient();
  switch (type) {
    case 'string':
      return client.getStringDetails(key, DEFAULTS.string);
    case 'number':
      return client.getNumberDetails(key, DEFAULTS.number);
    case 'object':
      return client.getObjectDetails(key, DEFAULTS.object as JsonValue);
    default:
      return client.getBooleanDetails(key, DEFAULTS.boolean);
  }
}

/** For each context in turn: set it (one bulk request), then read every flag synchronously. */
async function evaluate(contexts: Array<Record<string, unknown>>, flags: Array<[string, FlagType]>): Promise<Row[][]> {
  const out: Row[][] = [];
  for (const context of contexts) {
    await OpenFeature.setContext(context as never);
    out.push(
      flags.map(([key, type]) => {
        const d = details(key, type);
        return [d.value, d.variant, d.errorCode, { ...d.flagMetadata }];
      }),
    );
  }
  return out;
}

(window as unknown as { ofrepPage: unknown }).ofrepPage = { start, evaluate, ready: true };
