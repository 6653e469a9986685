import { api, seg } from '../api.ts';
import { useResource } from '../hooks.ts';
import { Banner } from './ui.tsx';

interface UnleashDifference {
  ruleId?: string;
  code: string;
  message: string;
}

/**
 * What Unleash SDKs polling `/unleash/api` will compute differently from ours for the saved flag
 * (a rollout in hundredths, a date condition on another attribute, ...). Nothing when they agree,
 * or when the answer cannot be had: it is a notice, not part of editing.
 */
export function UnleashNotice({ flagKey, envKey, version }: { flagKey: string; envKey: string; version: number }) {
  const found = useResource(
    () => api.get<{ differences: UnleashDifference[] }>(`/unleash/flags/${seg(flagKey)}/environments/${seg(envKey)}`),
    [flagKey, envKey, version],
  );
  const differences = found.data?.differences ?? [];
  if (differences.length === 0) return null;
  return (
    <Banner tone="info" role="status" title="What Unleash SDKs will see">
      <p>Unleash SDKs connected to this environment evaluate this flag slightly differently from Switchboard SDKs:</p>
      <ul>
        {differences.map((d) => (
          <li key={`${d.ruleId ?? ''}/${d.code}/${d.message}`}>{d.message}</li>
        ))}
      </ul>
    </Banner>
  );
}
