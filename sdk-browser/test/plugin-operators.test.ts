import type { FlagConfig } from '@switchboard/core';
import { describe, expect, it } from 'vitest';
import { createClient } from '../src/index.ts';
import { regex } from '../src/regex.ts';
import { snapshot, testOptions } from './helpers/fake-platform.ts';

const pattern: FlagConfig = {
  key: 'acme-staff',
  enabled: true,
  rules: [{ id: 'acme', conditions: [{ attribute: 'login', operator: 'REGEX', values: ['^[a-z]+@acme\\.io$'] }] }],
};
const modern: FlagConfig = {
  key: 'modern-app',
  enabled: true,
  rules: [{ id: 'v2', conditions: [{ attribute: 'appVersion', operator: 'SEMVER_GTE', values: ['2.0.0'] }] }],
};
const office: FlagConfig = {
  key: 'office',
  enabled: true,
  rules: [{ id: 'lan', conditions: [{ attribute: 'remoteAddress', operator: 'IN_CIDR', values: ['10.0.0.0/8'] }] }],
};

describe('plug-in operators (REGEX, SEMVER_*, IN_CIDR)', () => {
  it('SEMVER_* and IN_CIDR are loaded on demand, and the view is used once they are there; REGEX is opt-in', async () => {
    const { options, es } = testOptions();
    const client = createClient({
      ...options,
      context: { remoteAddress: '10.1.2.3', properties: { login: 'kim@acme.io', appVersion: '2.1.0' } },
    });
    void es.latest().snapshot(snapshot(1, [pattern, modern, office]));
    expect(client.status().ready).toBe(false);
    await client.whenReady();
    expect(client.evaluate('modern-app')).toMatchObject({ enabled: true, ruleId: 'v2' });
    expect(client.evaluate('office')).toMatchObject({ enabled: true, ruleId: 'lan' });
    // Not passed in `operators`: the 45 KB engine is never fetched, and the condition says why it cannot match.
    expect(client.evaluate('acme-staff')).toMatchObject({ enabled: false, errorCode: 'INVALID_RULE' });
    expect(client.evaluate('acme-staff').errorMessage).toContain('REGEX needs the regex plug-in');
    client.close();
  });

  it('REGEX matches once opted into with `operators: { regex }` from the /regex entry', async () => {
    const { options, es } = testOptions();
    const client = createClient({ ...options, operators: { regex }, context: { properties: { login: 'kim@acme.io' } } });
    es.latest().snapshot(snapshot(1, [pattern]));
    await client.whenReady();
    expect(client.evaluate('acme-staff')).toMatchObject({ enabled: true, ruleId: 'acme' });
    client.close();
  });

  it('evaluate synchronously when passed in', async () => {
    const { options } = testOptions();
    const client = createClient({
      ...options,
      operators: { regex },
      context: { properties: { login: 'kim@example.org' } },
      bootstrap: snapshot(1, [pattern]),
    });
    expect(client.status().ready).toBe(true);
    expect(client.isEnabled('acme-staff', true)).toBe(false);
    client.close();
  });
});
