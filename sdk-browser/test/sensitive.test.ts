import type { FlagConfig } from '@switchboard/core';
import { describe, expect, it, vi } from 'vitest';
import { createClient } from '../src/index.ts';
import { settle, sha256, snapshot, testOptions } from './helpers/fake-platform.ts';

const SALT = 'pepper';
const spec = { salt: SALT, attributes: ['email', 'accountId'] };

/** A flag as the server's client view sends it: condition values on sensitive attributes digested. */
function executives(salt = SALT): FlagConfig {
  return {
    key: 'exec-dashboard',
    enabled: true,
    rules: [
      {
        id: 'execs',
        conditions: [{ attribute: 'email', operator: 'IN', values: ['ceo@acme.io', 'cfo@acme.io'].map((v) => sha256(salt, v)) }],
      },
      { id: 'account', conditions: [{ attribute: 'accountId', operator: 'IN', values: [sha256(salt, '4711')] }] },
      { id: 'beta', conditions: [{ attribute: 'plan', operator: 'IN', values: ['beta'] }] },
    ],
  };
}

/** crypto.subtle whose digests finish when the test says so, recording what it was asked to digest. */
function gatedSubtle() {
  const inputs: string[] = [];
  let open: () => void = () => {};
  let gate = new Promise<void>((r) => {
    open = r;
  });
  const subtle = {
    async digest(algorithm: AlgorithmIdentifier, data: BufferSource) {
      inputs.push(new TextDecoder().decode(data as Uint8Array));
      await gate;
      return crypto.subtle.digest(algorithm, data);
    },
  };
  return {
    subtle,
    inputs,
    release() {
      open();
      gate = new Promise<void>((r) => {
        open = r;
      });
    },
  };
}

describe('sensitive attributes', () => {
  it('digests the context the way the server digested the conditions, top level and in properties', async () => {
    const { options } = testOptions();
    const bootstrap = snapshot(1, [executives()], spec);
    const client = createClient({ ...options, bootstrap, context: { properties: { email: 'cfo@acme.io' } } });
    // Not usable before the digest: no raw value is ever evaluated against the view.
    expect(client.status().ready).toBe(false);
    await client.whenReady();
    expect(client.evaluate('exec-dashboard')).toMatchObject({ enabled: true, ruleId: 'execs' });

    await client.setContext({ email: 'ceo@acme.io' });
    expect(client.evaluate('exec-dashboard').ruleId).toBe('execs');
    // Numbers are digested as the string core would compare.
    await client.setContext({ properties: { accountId: 4711 } });
    expect(client.evaluate('exec-dashboard').ruleId).toBe('account');
    await client.setContext({ email: 'intern@acme.io', properties: { plan: 'beta' } });
    expect(client.evaluate('exec-dashboard').ruleId).toBe('beta');
    client.close();
  });

  it('keeps evaluating the last digested context until the new one is ready', async () => {
    const gate = gatedSubtle();
    const { options } = testOptions({ subtle: gate.subtle });
    const client = createClient({ ...options, bootstrap: snapshot(1, [executives()], spec), context: { email: 'ceo@acme.io' } });
    // The digest code is imported on demand: let it arrive and start digesting.
    await settle();
    gate.release();
    await client.whenReady();
    expect(client.isEnabled('exec-dashboard')).toBe(true);
    const change = vi.fn();
    client.on('change', change);
    const switched = client.setContext({ email: 'intern@acme.io' });
    await settle();
    expect(client.isEnabled('exec-dashboard')).toBe(true);
    gate.release();
    await switched;
    expect(client.isEnabled('exec-dashboard')).toBe(false);
    expect(change).toHaveBeenCalledWith(['exec-dashboard']);
    expect(gate.inputs).toEqual([`${SALT}:ceo@acme.io`, `${SALT}:intern@acme.io`]);
    client.close();
  });

  it('digests again when a new salt or attribute list arrives', async () => {
    const { options, es } = testOptions();
    const client = createClient({ ...options, context: { email: 'ceo@acme.io' } });
    await es.latest().snapshot(snapshot(1, [executives()], spec));
    await client.whenReady();
    expect(client.isEnabled('exec-dashboard')).toBe(true);
    const change = vi.fn();
    client.on('change', change);
    await es.latest().snapshot(snapshot(2, [executives('new-salt')], { ...spec, salt: 'new-salt' }));
    await settle();
    expect(client.isEnabled('exec-dashboard')).toBe(true);
    expect(change).not.toHaveBeenCalled();
    client.close();
  });

  it('evaluates without the sensitive values when crypto.subtle is missing, and says why', async () => {
    const { options } = testOptions({ subtle: null });
    const client = createClient({
      ...options,
      bootstrap: snapshot(1, [executives()], spec),
      context: { email: 'ceo@acme.io', properties: { plan: 'beta' } },
    });
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    await client.whenReady();
    expect(errors[0]?.message).toMatch(/crypto\.subtle/);
    expect(client.evaluate('exec-dashboard').ruleId).toBe('beta');
    client.close();
  });

  it('applies a context without sensitive values at once', async () => {
    const { options } = testOptions({ subtle: null });
    const client = createClient({ ...options, bootstrap: snapshot(1, [executives()], spec), context: { properties: { plan: 'beta' } } });
    expect(client.isEnabled('exec-dashboard')).toBe(true);
    void client.setContext({ properties: { plan: 'free' } });
    expect(client.isEnabled('exec-dashboard')).toBe(false);
    client.close();
  });
});
