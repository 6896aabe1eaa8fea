// One full garbage collection after a model loads for generate, chat, serve and info.
//
// Loading leaves garbage that no token needs: the GGUF header's packed token types, the parse's
// scratch, the tokenizer build's temporaries (docs/inference.md, "Resident memory"). V8 would
// collect it in time, but the pages it grew its old generation by stay resident until a full
// collection with compaction, which a generation loop that allocates little seldom triggers: on the
// 0.5B Q4_K_M file, ~2 MiB of the resident set. One collection right after the load (tens of ms)
// returns them. V8 only offers `gc` to a context created after --expose-gc is set, hence the
// fresh vm context; the flag changes nothing else.
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null = null;

/** A full, compacting collection of the whole heap, now. */
export function collectLoadGarbage(): void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
