// What a CLI command is, and a small flag parser shared by all of them.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PonderError } from '../errors.ts';

export interface Command {
  name: string;
  summary: string;
  /** Returns the exit code (0 when undefined). */
  run(argv: string[]): Promise<number | void> | number | void;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses flags strictly: an unknown flag or a missing value is a PonderError that names it. */
export function parseFlags<O extends Options>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new PonderError((e as Error).message);
  }
}
