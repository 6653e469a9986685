import type { NextConfig } from 'next';

const config: NextConfig = {
  // In this repository the SDK is a workspace package exporting TypeScript sources; an app that
  // installs it from npm gets built JavaScript and needs no such line.
  transpilePackages: ['@switchboard/sdk-browser', '@switchboard/core'],
  // The test builds and starts the app from this folder; keep its output here too.
  distDir: process.env.NEXT_DIST_DIR ?? '.next',
};

export default config;
