// Starts `ponder serve` (the sources, through tsx) as a child process on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

/** Resolves with the server's URL and everything it said on stderr so far; the child joins `children` (to be killed after). */
export function startServe(args: string[], env: Record<string, string>, children: ChildProcess[]): Promise<{ url: string; log: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'serve', ...args, '--port', '0'], {
    env: { ...process.env, PONDER_MODEL: '', ...env }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (b: Buffer) => {
      log += b.toString();
      const m = /serving \S+ at (http:\/\/\S+)\/v1/.exec(log);
      if (m) resolve({ url: m[1]!, log });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${log}`)));
  });
}
