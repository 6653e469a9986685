import { FlagProvider } from '@switchboard/sdk-browser/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';

// A client key is safe in a page: it reads only the flags marked client-visible.
const options = {
  url: import.meta.env.VITE_SWITCHBOARD_URL,
  clientKey: import.meta.env.VITE_SWITCHBOARD_CLIENT_KEY,
  context: { userId: 'u-123', properties: { plan: 'pro' } },
};

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <FlagProvider options={options}>
        <App />
      </FlagProvider>
    </StrictMode>,
  );
}
