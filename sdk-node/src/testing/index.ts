export {
  createTestClient,
  type TestClientOptions,
  type TestFlagValue,
  type TestFlagValues,
  TestSwitchboardClient,
} from './create-test-client.ts';
