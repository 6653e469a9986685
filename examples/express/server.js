import { createClient } from '@switchboard/sdk-node';
import express from 'express';

// One client per process: it keeps every flag of the environment in memory, live from the server.
const flags = createClient({
  url: process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:4242',
  sdkKey: process.env.SWITCHBOARD_SERVER_KEY, // a server key: switchboard keys create api -e production --kind server
});

const app = express();

app.get('/checkout', (req, res) => {
  // Who is asking (a header here; your session in a real app): userId and friends at the top level,
  // your own attributes in `properties`.
  const context = { userId: req.get('x-user-id'), properties: { plan: req.query.plan ?? 'free' } };
  // Evaluated in memory, no request to the server: call it wherever you need it.
  if (flags.isEnabled('new-checkout', context)) res.send('new checkout');
  else res.send('classic checkout');
});

// Serve once the flags are known; after 5 s without the server, serve the fallbacks (false) anyway.
await flags.ready({ timeoutMs: 5000 });
const server = app.listen(Number(process.env.PORT ?? 3000), () => console.log(`listening on ${server.address().port}`));

process.on('SIGTERM', () => {
  server.close();
  void flags.close(); // sends the last usage counts
});
