// The `ponder` command line: thin. Each command lives in src/cli/commands/<name>.ts and exports
// `command: Command`; this file only finds the one asked for and runs it.
import { readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from './command.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
// .ts when run from the sources (tsx), .js when run compiled (dist/, what bin/ponder.js runs).
const ext = extname(fileURLToPath(import.meta.url));

async function loadCommands(): Promise<Command[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`)).sort();
  const mods = await Promise.all(files.map((f) => import(pathToFileURL(join(dir, f)).href)));
  return mods.map((m) => m.command as Command).filter(Boolean);
}

function usage(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return ['usage: ponder <command> [options]', '', 'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '', 'Run `ponder <command> --help` for a command\'s options.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage(commands));
    return name ? 0 : 1;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    console.error(`ponder: unknown command '${name}'\n\n${usage(commands)}`);
    return 2;
  }
  return (await cmd.run(rest)) ?? 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    // A user-facing error prints its message alone; anything else is a bug and keeps its stack.
    if (err instanceof Error && err.name === 'PonderError') console.error(`ponder: ${err.message}`);
    else console.error(err);
    process.exitCode = 1;
  },
);
