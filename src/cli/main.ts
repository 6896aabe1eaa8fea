// The `ponder` command line: thin. Each command lives in src/cli/commands/<name>.ts and exports
// `command: Command`; this file only finds the one asked for and runs it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from './command.ts';
import { INFERENCE_COMMANDS, keepYoungGenerationSmall } from './young-generation.ts';

const here = fileURLToPath(import.meta.url);
const dir = join(dirname(here), 'commands');
// .ts when run from the sources (tsx), .js when run compiled (dist/, what bin/ponder.js runs).
const ext = extname(here);
/** Written by the build (scripts/build-cli.mjs) beside the compiled main: name, summary, file. */
const MANIFEST = join(dirname(here), 'commands.json');

type Listed = Pick<Command, 'name' | 'summary'> & { file: string };

async function importCommand(file: string): Promise<Command | undefined> {
  return (await import(pathToFileURL(join(dir, file)).href) as { command?: Command }).command;
}

/** Every command's name and summary: from the manifest when compiled (so listing them imports no
 *  command, and `--help` stays fast), else by importing each file. */
async function listCommands(): Promise<Listed[]> {
  if (existsSync(MANIFEST)) return JSON.parse(readFileSync(MANIFEST, 'utf8')) as Listed[];
  const files = readdirSync(dir).filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`)).sort();
  const found = await Promise.all(files.map(async (file) => ({ file, command: await importCommand(file) })));
  return found.flatMap(({ file, command }) => (command ? [{ name: command.name, summary: command.summary, file }] : []));
}

function usage(commands: Listed[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return ['usage: ponder <command> [options]', '', 'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '', 'Run `ponder <command> --help` for a command\'s options.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const commands = await listCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage(commands));
    return name ? 0 : 1;
  }
  const listed = commands.find((c) => c.name === name);
  if (INFERENCE_COMMANDS.has(name)) keepYoungGenerationSmall(); // before its modules load: young-generation.ts
  const cmd = listed && await importCommand(listed.file);
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
