import type { NextConfig } from 'next';

const config: NextConfig = {
  // In this repository the SDK is a workspace package exporting TypeScript sources; an app that
  // installs it from npm gets built JavaScript and needs no such line.
  transpilePackages: ['@switchboard/sdk-browser', '@switchboard/core'],
};

export default config;
