/** The admin API as an admin: throws on any status from 300, returns the body. */
export type AdminCall = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<any>;

export interface PlaygroundSeedOptions {
  /** The rollout of new-checkout's second rule, `de-pro` (none: everyone who matches). */
  deProRollout?: { percentage: number };
  /** Rules of new-checkout in production after `staff` and `de-pro`. */
  moreRules?: unknown[];
}

/**
 * What the playground's suites (the API's and the UI's) evaluate: a segment `staff` (emails at
 * example.com); `new-checkout`, on in production, whose rule 1 is that segment and rule 2 Germany on
 * Pro; `banner`, a multivariate flag on in production whose one variant has a JSON payload.
 */
export async function seedPlayground(admin: AdminCall, o: PlaygroundSeedOptions = {}): Promise<void> {
  await admin('POST', '/segments', {
    key: 'staff',
    conditions: [{ attribute: 'email', operator: 'STR_ENDS_WITH', values: ['@example.com'] }],
  });
  await admin('POST', '/flags', { key: 'new-checkout', name: 'New checkout' });
  await admin(
    'PATCH',
    '/flags/new-checkout/environments/production',
    {
      enabled: true,
      rules: [
        { id: 'staff', description: 'Our own people', segments: ['staff'] },
        {
          id: 'de-pro',
          description: 'Germany on Pro',
          conditions: [
            { attribute: 'country', operator: 'IN', values: ['DE'] },
            { attribute: 'plan', operator: 'IN', values: ['pro'] },
          ],
          ...(o.deProRollout ? { rollout: o.deProRollout } : {}),
        },
        ...(o.moreRules ?? []),
      ],
    },
    { 'if-match': '"1"' },
  );
  await admin('POST', '/flags', {
    key: 'banner',
    name: 'Banner',
    kind: 'multivariate',
    variants: [{ name: 'red', weight: 1000, payload: { type: 'json', value: '{"color":"red"}' } }],
  });
  await admin('PATCH', '/flags/banner/environments/production', { enabled: true }, { 'if-match': '"1"' });
}
