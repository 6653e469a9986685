import { getBrowserBootstrap } from '@switchboard/sdk-browser/server';
import { cookies } from 'next/headers';
import { Checkout } from './checkout.tsx';
import { Flags } from './flags.tsx';

// Flags are per request (the user's context), never baked in at build time.
export const dynamic = 'force-dynamic';

export default async function Page() {
  // Read per request, not inlined at build time as NEXT_PUBLIC_ variables would be: one build runs
  // against any environment. The client key is meant for pages; the server passes it down.
  const url = process.env.SWITCHBOARD_URL ?? 'http://localhost:4000';
  const publicUrl = process.env.SWITCHBOARD_PUBLIC_URL ?? url;
  const clientKey = process.env.SWITCHBOARD_CLIENT_KEY ?? '';
  const userId = (await cookies()).get('user')?.value ?? 'anonymous';
  // Without flags the page still renders (with fallbacks) and the browser fetches them itself.
  const bootstrap = await getBrowserBootstrap({ url, clientKey, context: { userId } }).catch((error) => {
    console.error('Switchboard bootstrap failed:', error.message);
    return null;
  });
  return (
    <Flags bootstrap={bootstrap} url={publicUrl} clientKey={clientKey}>
      <Checkout />
    </Flags>
  );
}
