// V8's young generation for the commands that run a model rather than train one.
//
// V8 starts each semi-space of its young generation at 1 MiB and doubles it (up to 16 MiB) while
// many objects survive scavenges, as they do while the CLI imports its modules and loads a model;
// it then keeps the grown space for the life of the process: ~30 MiB of a bare `ponder generate`
// that no token needs (docs/inference.md, "Resident memory"). Generating from a memory-mapped
// model allocates little per token, so the start size scavenges often enough. Training's autograd
// allocates heavily and keeps V8's default. --max-semi-space-size would cap it too, but V8 reads
// that once, at start-up; the growth factor is read at each growth, so setting it in the running
// process, before the command's modules load, is enough (no second Node process).
import v8 from 'node:v8';

/** The commands that load a model to run it (src/cli/shared.ts loadServedModel). */
export const INFERENCE_COMMANDS: ReadonlySet<string> = new Set(['generate', 'chat', 'serve', 'info']);

/** From now on the young generation stays the size it is (growth factor 1). */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
