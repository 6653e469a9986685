import type { CommandSpec } from '../command.ts';
import { evaluateCommands } from './evaluate.ts';
import { flagCommands } from './flags.ts';
import { rampCommands } from './ramps.ts';
import { scheduleCommands } from './schedules.ts';
import { transferCommands } from './transfer.ts';

/** Every command, in the order the overview lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  ...flagCommands,
  ...rampCommands,
  ...scheduleCommands,
  ...transferCommands,
  ...evaluateCommands,
];
