import { useFlag, useFlagsStatus } from '@switchboard/sdk-browser/react';

export function App() {
  const { ready } = useFlagsStatus();
  // Re-renders when the flag changes on the server, within a second or so.
  const newCheckout = useFlag('new-checkout');
  if (!ready) return <p id="checkout">Loading...</p>;
  return <p id="checkout">{newCheckout ? 'New checkout' : 'Classic checkout'}</p>;
}
