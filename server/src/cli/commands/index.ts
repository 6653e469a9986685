import type { CommandSpec } from '../command.ts';
import { changeCommands } from './changes.ts';
import { evaluateCommands } from './evaluate.ts';
import { flagCommands } from './flags.ts';
import { keyCommands } from './keys.ts';
import { rampCommands } from './ramps.ts';
import { scheduleCommands } from './schedules.ts';
import { transferCommands } from './transfer.ts';
import { typeCommands } from './types.ts';

/** Every command, in the order the overview lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  ...flagCommands,
  ...keyCommands,
  ...typeCommands,
  ...rampCommands,
  ...scheduleCommands,
  ...changeCommands,
  ...transferCommands,
  ...evaluateCommands,
];
