// One error type and one set of codes for both SDKs: they live in core.
export { SwitchboardError, SwitchboardErrorCode, type SwitchboardErrorDetails } from '@switchboard/core';
