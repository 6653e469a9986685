import { readFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { EvaluationResult, SnapshotPayload } from '@switchboard/core';
import { importUnleash } from '@switchboard/core/unleash';
import { createClient, Reason } from '@switchboard/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, startTestServer, type TestServer } from '../../../server/test/helpers/test-server.ts';
import { defaultSpecDir, upstreamSpecDir } from '../conformance/paths.ts';
import { type FileResult, runFile } from '../conformance/run-conformance.ts';
import { type SpecFile, stateToPayload } from '../conformance/spec-file.ts';

if (!DATABASE_URL)
  console.warn('\n*** DATABASE_URL is not set: the conformance run against a real server is SKIPPED. .ci/run sets it. ***\n');

const quiet = { warn: () => {}, error: () => {} };

interface Delivery {
  url: string;
  /** Puts the file's state where a server key can get it; null when the server refuses it. */
  publish(name: string, spec: SpecFile): Promise<string | null>;
}

/**
 * Each file's state published for one key, delivered to a Node SDK client over an SSE stream, and
 * every row evaluated with `client.evaluate` (the runner's `random` reaches the client's option).
 */
async function runOverStream(dir: string, delivery: Delivery): Promise<{ results: FileResult[]; refused: string[] }> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as string[];
  const results: FileResult[] = [];
  const refused: string[] = [];
  for (const file of index) {
    const path = join(dir, file);
    const spec = JSON.parse(await readFile(path, 'utf8')) as SpecFile;
    const key = await delivery.publish(file, spec);
    if (key === null) {
      refused.push(file);
      continue;
    }
    let random: () => number = Math.random;
    const client = createClient({ url: delivery.url, sdkKey: key, random: () => random(), metrics: false, logger: quiet });
    try {
      if (!(await client.ready({ timeoutMs: 5000 }))) throw new Error(`${file}: no data over the stream`);
      if (client.source !== 'server') throw new Error(`${file}: data from ${client.source}, not the stream`);
      results.push(
        await runFile(path, () => (flagKey, context, options) => {
          random = options.random ?? Math.random;
          const result = client.evaluate(flagKey, context);
          if (result.reason === Reason.NotReady) throw new Error('not ready');
          return result as EvaluationResult;
        }),
      );
    } finally {
      await client.close();
    }
  }
  return { results, refused };
}

const failuresOf = (results: FileResult[]) => results.flatMap((r) => r.failures.map((f) => `${r.file}: ${f}`));
const passedIn = (results: FileResult[]) => results.reduce((n, r) => n + r.passed, 0);

describe('Unleash client specification, every file delivered over an SSE stream', () => {
  let server: Server;
  let url: string;
  const snapshots = new Map<string, SnapshotPayload>();
  const open = new Set<ServerResponse>();

  beforeAll(async () => {
    // The wire protocol's stream, serving what the importer makes of each file, whatever it holds.
    server = createServer((req, res) => {
      const snapshot = snapshots.get(req.headers.authorization ?? '');
      if (req.url !== '/api/sdk/stream' || !snapshot) return void res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`id: ${snapshot.revision}\nevent: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
      open.add(res);
      res.on('close', () => open.delete(res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    for (const res of open) res.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const delivery = (): Delivery => ({
    url,
    async publish(name, spec) {
      const { flags, segments } = importUnleash(stateToPayload(spec.state));
      const key = `sbs_${snapshots.size}_${name}`;
      snapshots.set(key, { environment: name, revision: 1, flags: flags.map((f) => f.config), segments });
      return key;
    },
  });

  it('passes every row of the shared copy', async () => {
    const { results } = await runOverStream(defaultSpecDir, delivery());
    expect(results.length).toBeGreaterThanOrEqual(22);
    expect(failuresOf(results)).toEqual([]);
    expect(passedIn(results)).toBeGreaterThan(200);
  });

  it('passes every row of the published package', async () => {
    const { results } = await runOverStream(upstreamSpecDir, delivery());
    expect(failuresOf(results)).toEqual([]);
    expect(passedIn(results)).toBeGreaterThanOrEqual(279);
  });
});

describe.skipIf(!DATABASE_URL)('Unleash client specification, imported into a running server and delivered by its stream', () => {
  let server: TestServer;
  let cookie: string;
  let environments = 0;
  const admin = (method: string, path: string, body?: unknown) => server.request(method, `/api/admin${path}`, { body, cookie });

  beforeAll(async () => {
    server = await startTestServer({ env: { DELIVERY_CHECK_MS: '500' } });
    cookie = await server.login();
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  /** One environment per file, the state through the Unleash import; a key of that environment. */
  const delivery = (): Delivery => ({
    url: server.url,
    async publish(name, spec) {
      const environment = `spec-${++environments}`;
      expect((await admin('POST', '/environments', { key: environment, name })).status).toBe(201);
      // Some files test tolerance of data the server refuses at write time (broken regexes, cycles,
      // unknown operators): those flags are left out and evaluate as absent, which is what the
      // rows expect of them.
      const imported = await admin('POST', '/import/unleash', { environment, data: stateToPayload(spec.state), skipInvalid: true });
      if (imported.status !== 200) {
        expect(imported.body.error.code, `${name}: ${imported.text}`).toBe('VALIDATION_FAILED');
        return null;
      }
      return (await admin('POST', '/keys', { name: environment, environment, kind: 'server' })).body.secret as string;
    },
  });

  it('passes every row of every file the server accepts, from both copies', async () => {
    for (const dir of [defaultSpecDir, upstreamSpecDir]) {
      const { results, refused } = await runOverStream(dir, delivery());
      expect(failuresOf(results)).toEqual([]);
      expect(refused).toEqual([]);
      expect(passedIn(results)).toBeGreaterThan(200);
    }
  }, 60_000);
});
