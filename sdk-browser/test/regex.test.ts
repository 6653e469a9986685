import type { FlagConfig } from '@switchboard/core';
import { re2Engine } from '@switchboard/core/regex';
import { describe, expect, it } from 'vitest';
import { createClient } from '../src/index.ts';
import { snapshot, testOptions } from './helpers/fake-platform.ts';

const pattern: FlagConfig = {
  key: 'acme-staff',
  enabled: true,
  rules: [{ id: 'acme', conditions: [{ attribute: 'login', operator: 'REGEX', values: ['^[a-z]+@acme\\.io$'] }] }],
};

describe('REGEX conditions', () => {
  it('load the engine on demand, then evaluate', async () => {
    const { options, es } = testOptions();
    const client = createClient({ ...options, context: { login: 'kim@acme.io' } });
    es.latest().snapshot(snapshot(1, [pattern]));
    await client.whenReady();
    expect(client.evaluate('acme-staff')).toMatchObject({ enabled: true, ruleId: 'acme' });
    client.close();
  });

  it('evaluate synchronously with an engine passed in', () => {
    const { options } = testOptions();
    const client = createClient({ ...options, regex: re2Engine, context: { login: 'kim@example.org' }, bootstrap: snapshot(1, [pattern]) });
    expect(client.status().ready).toBe(true);
    expect(client.isEnabled('acme-staff', true)).toBe(false);
    client.close();
  });
});
