export { validateWirePatch, validateWireSnapshot } from '@switchboard/core/wire-validation';
