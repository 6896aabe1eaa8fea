// `ponder pretrain --config c.json --data files... --out dir`: next-token pretraining of a new
// model, or (`--model PATH`) continued pretraining of an existing one in any format ponder reads.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags, type Command } from '../command.ts';
import { num } from '../shared.ts';
import { loadConfig, validateConfig, type ModelConfig, type TrainPreset } from '../../model/config.ts';
import { loadAnyModel, type LoadedModel } from '../../model/load.ts';
import { writeTokenizerFiles } from '../../io/checkpoint.ts';
import { Transformer } from '../../model/transformer.ts';
import { pretrain } from '../../train/pretrain.ts';
import { readTokenFile, writeTokenFile } from '../../data/tokens.ts';
import { defaultCorpus } from '../../data/corpus.ts';
import { loadTokenizer, trainBpe, saveTokenizer, BOS_ID, EOS_ID, Tokenizer, type TextTokenizer } from '../../tokenizer/index.ts';
import { generate } from '../../infer/generate.ts';
import { PonderError } from '../../errors.ts';
import { readFileSync } from 'node:fs';

export const command: Command = {
  name: 'pretrain',
  summary: 'pretrain a transformer on text (a token file, text files, or the default corpus)',
  run(argv) {
    const { values, positionals } = parseFlags(argv, {
      config: { type: 'string' }, data: { type: 'string', multiple: true }, tokenizer: { type: 'string' },
      out: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' }, 'seq-len': { type: 'string' },
      accum: { type: 'string' }, lr: { type: 'string' }, warmup: { type: 'string' }, 'eval-every': { type: 'string' },
      'checkpoint-every': { type: 'string' }, seed: { type: 'string' }, resume: { type: 'boolean' },
      'max-seconds': { type: 'string' }, samples: { type: 'string' }, model: { type: 'string' }, checkpoint: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    });
    const from = values.model ?? values.checkpoint;
    if (values.help || (!values.config && !from)) {
      console.log(`usage: ponder pretrain (--config configs/a.json | --model PATH) [--data default | file.bin | files.txt...] [--tokenizer tokenizer.json]
  [--out runs/pretrain] [--steps 1000] [--batch B] [--seq-len T] [--accum 1] [--lr 3e-3] [--warmup 100]
  [--eval-every 100] [--checkpoint-every 500] [--seed 1] [--max-seconds S] [--resume] [--samples 3]
--model (or --checkpoint) starts from a model's weights and tokenizer: a ponder checkpoint, a Hugging
Face folder or a .gguf file (weights in float32 while training).`);
      return values.help ? 0 : 2;
    }
    if (from && (values.config || values.tokenizer)) throw new PonderError('--model brings its own config and tokenizer: give --config and --tokenizer only for a new model');
    const start = from ? loadAnyModel(from) : null;
    if (start && !start.tokenizer) throw new PonderError(`${from}: the model has no tokenizer to encode the corpus with`);
    const { model: mc, train }: { model: ModelConfig; train?: TrainPreset } = start ? { model: start.config } : loadConfig(values.config!);
    const out = values.out ?? 'runs/pretrain';
    const data = [...(values.data ?? []), ...positionals];
    const sources = data.length ? data : ['default'];
    const tokenFile = sources.length === 1 && sources[0].endsWith('.bin') ? sources[0] : null;
    const texts = (): string[] => sources.flatMap((s) => (s === 'default' ? defaultCorpus() : [readText(s)]));
    const tok = corpusTokenizer(start, tokenFile, texts, { tokenizer: values.tokenizer, resumeDir: values.resume ? out : undefined, vocabSize: mc.vocab_size });
    if (tok.vocabSize > mc.vocab_size) throw new PonderError(`the tokenizer has ${tok.vocabSize} tokens but ${values.config ?? from} has vocab_size ${mc.vocab_size}`);
    const { bos, eos } = documentIds(start);
    const tokens = corpusTokens(sources, tokenFile, texts, tok, bos, eos);
    const B = num('batch', values.batch, train?.batch_size ?? 16, { int: true, min: 1 });
    const T = num('seq-len', values['seq-len'], train?.seq_len ?? mc.max_seq_len, { int: true, min: 2, max: mc.max_seq_len });
    console.error(`pretrain: ${tokens.length.toLocaleString()} tokens; batch ${B} × ${T}`);
    const model = start ? start.model : new Transformer(validateConfig(mc), num('seed', values.seed, 1, { int: true }));
    if (start) console.error(`pretrain: starting from ${from} (${start.info.architecture})`);
    console.error(`pretrain: ${model.paramCount().toLocaleString()} parameters`);
    const r = pretrain({
      model, tokenizer: tok instanceof Tokenizer ? tok : undefined, tokens, outDir: out, steps: num('steps', values.steps, 1000, { int: true, min: 1 }),
      batchSize: B, seqLen: T, accum: num('accum', values.accum, 1, { int: true, min: 1 }), lr: num('lr', values.lr, 3e-3, { min: 0 }),
      warmupSteps: values.warmup ? num('warmup', values.warmup, 0, { int: true, min: 0 }) : undefined,
      evalEvery: num('eval-every', values['eval-every'], 100, { int: true, min: 1 }),
      checkpointEvery: num('checkpoint-every', values['checkpoint-every'], 500, { int: true, min: 1 }),
      seed: num('seed', values.seed, 1, { int: true }), resume: values.resume,
      maxSeconds: values['max-seconds'] ? num('max-seconds', values['max-seconds'], 0, { min: 0 }) : undefined,
    });
    writeTokenFile(join(out, 'tokens.bin'), tokens, tok.vocabSize);
    if (tok instanceof Tokenizer) saveTokenizer(tok, join(out, 'tokenizer.json'));
    // An imported tokenizer travels with the checkpoint as the files it came in.
    else writeTokenizerFiles(join(out, 'checkpoint'), { tokenizerJson: start!.tokenizerJson, tokenizerConfig: start!.tokenizerConfig, generationConfig: start!.generationConfig, sourceConfig: start!.hfConfig });
    console.log(`pretrain: ${r.steps} steps, train loss ${r.trainLoss.toFixed(3)}, validation loss ${r.valLoss.toFixed(3)}, ${r.tokensPerSecond.toFixed(0)} tok/s, MFU ${(r.mfu * 100).toFixed(1)}%`);
    console.log(`pretrain: checkpoint in ${join(out, 'checkpoint')}, loss chart ${join(out, 'loss.svg')}`);
    const n = num('samples', values.samples, 3, { int: true, min: 0 });
    if (n > 0) printSamples(r.model, tok, texts().slice(0, n), bos, eos);
    return 0;
  },
};

/**
 * The ids that open and close each document: ponder's, or an imported model's own. A BOS goes first
 * only where the model's tokenizer adds one itself (Llama 3 does, Qwen does not); documents end with
 * config.json's eos_token_id, else generation_config's first.
 */
function documentIds(start: LoadedModel | null): { bos: number | null; eos: number } {
  if (!start || start.tokenizer instanceof Tokenizer) return { bos: BOS_ID, eos: EOS_ID };
  const first = (v: unknown): number | undefined => {
    const x = Array.isArray(v) ? v[0] : v;
    return Number.isInteger(x) ? (x as number) : undefined;
  };
  const bos = first(start.hfConfig?.bos_token_id ?? start.generationConfig?.bos_token_id);
  const post = JSON.stringify((start.tokenizerJson as { post_processor?: unknown } | undefined)?.post_processor ?? null);
  const addsBos = bos !== undefined && (start.tokenizerConfig?.add_bos_token === true || post.includes(`"ids":[${bos}]`));
  const eos = first(start.hfConfig?.eos_token_id) ?? start.eosIds[0];
  if (eos === undefined) throw new PonderError(`${start.source}: no eos_token_id (config.json or generation_config.json) to end documents with`);
  return { bos: addsBos ? bos! : null, eos };
}

function readText(path: string): string {
  if (!existsSync(path)) throw new PonderError(`${path}: no such file`);
  return readFileSync(path, 'utf8');
}

/** The tokenizer: the starting model's, a given file, the resumed run's, or one trained on the text. */
function corpusTokenizer(start: LoadedModel | null, tokenFile: string | null, texts: () => string[], o: { tokenizer?: string; resumeDir?: string; vocabSize: number }): TextTokenizer {
  if (start) return start.tokenizer!;
  if (o.tokenizer) return loadTokenizer(o.tokenizer);
  if (o.resumeDir && existsSync(join(o.resumeDir, 'checkpoint', 'tokenizer.json'))) return loadTokenizer(join(o.resumeDir, 'checkpoint', 'tokenizer.json'));
  if (tokenFile) throw new PonderError('a token file needs --tokenizer (the tokenizer that made it)');
  const tok = trainBpe(texts(), o.vocabSize);
  console.error(`pretrain: trained a tokenizer of ${tok.vocabSize} tokens`);
  return tok;
}

/** The training tokens: a token file as it is, or every document encoded between its BOS (if any) and EOS. */
function corpusTokens(sources: string[], tokenFile: string | null, texts: () => string[], tok: TextTokenizer, bos: number | null, eos: number): Int32Array {
  let tokens: Int32Array;
  if (tokenFile) tokens = readTokenFile(tokenFile);
  else {
    const ids: number[] = [];
    for (const t of texts()) { if (bos !== null) ids.push(bos); for (const id of tok.encode(t)) ids.push(id); ids.push(eos); }
    tokens = Int32Array.from(ids);
  }
  if (tokens.length === 0) throw new PonderError(`the corpus (${sources.join(', ')}) is empty`);
  return tokens;
}

/** Samples: the first words of a few corpus documents, continued by the model. */
function printSamples(model: Transformer, tok: TextTokenizer, docs: string[], bos: number | null, eos: number): void {
  const prompts = docs.map((d) => [...(bos === null ? [] : [bos]), ...tok.encode(d).slice(0, 8)]);
  // A tokenizer trained on a small corpus may have fewer tokens than the model's vocab_size.
  const gens = generate(model, prompts, { maxNewTokens: 48, temperature: 0.8, topK: 40, seed: 1, stopTokens: [eos], vocabLimit: tok.vocabSize });
  gens.forEach((g, i) => console.log(`sample ${i + 1}: ${tok.decode(prompts[i].slice(bos === null ? 0 : 1))}\x1b[1m${tok.decode(g.tokens.filter((t) => t !== eos))}\x1b[0m`));
}
