import type { Command } from 'commander';

/** Each command file exports one function that adds its command (and sub-commands) to the program. */
export type RegisterCommand = (program: Command) => void;
