// Supervised fine-tuning (instruction tuning). Two entry points:
//   sft(model, examples, …)  prompt/completion pairs (the speedrun's cold start on reasoning traces)
//   trainSft({…})            chat JSONL in OpenAI's messages format: packing, validation loss,
//                            checkpoints, --resume, progress, metrics and a loss chart
// The loss covers assistant tokens only (their reasoning too, unless maskReasoning), so the model
// learns to answer, not to write questions. Packed rows hold whole conversations one after another
// (each opens with <|begin_of_text|>, as in pretraining); the tail of a row is padding without loss.
// An imported model (its own tokenizer and Jinja chat template) is trained on its template's
// rendering instead, with the assistant's tokens found from the template (assistant-turns.ts).
import { join } from 'node:path';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { Transformer } from '../model/transformer.ts';
import { AdamW } from '../optim/adamw.ts';
import { cosineLr } from '../optim/schedule.ts';
import { Rng } from '../tensor/random.ts';
import { trainStep, paramGroups, type Batch } from './step.ts';
import { ProgressBar, formatDuration } from './progress.ts';
import { MetricsLog } from './metrics.ts';
import { writeChart } from './chart.ts';
import { evaluateLoss } from './pretrain.ts';
import { saveCheckpoint, type TokenizerFiles } from '../io/checkpoint.ts';
import { resumeWithTokenizer, tokenizerToSave } from './checkpoint-tokenizer.ts';
import { encodeTemplateConversation, TemplateRefused } from './assistant-turns.ts';
import { encodeChat, ASSISTANT_ID, THINK_ID, END_THINK_ID, PAD_ID, Tokenizer, type ChatFormat, type ChatMessage, type TextTokenizer } from '../tokenizer/index.ts';
import { PonderError } from '../errors.ts';

export interface SftExample {
  prompt: number[];
  completion: number[];
}

export function sftBatch(examples: SftExample[]): Batch {
  const B = examples.length;
  const T = Math.max(...examples.map((e) => e.prompt.length + e.completion.length)) - 1;
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T).fill(-100);
  examples.forEach((e, r) => {
    const seq = [...e.prompt, ...e.completion];
    for (let t = 0; t < seq.length - 1; t++) {
      inputs[r * T + t] = seq[t];
      if (t + 1 >= e.prompt.length) targets[r * T + t] = seq[t + 1];
    }
  });
  return { inputs, targets, B, T };
}

export interface SftOptions {
  steps: number;
  batchSize: number;
  lr: number;
  seed?: number;
  progress?: boolean;
}

/** Fine-tunes model in place on prompt/completion pairs; returns the loss of each step. */
export function sft(model: Transformer, examples: SftExample[], o: SftOptions): number[] {
  if (examples.length === 0) throw new PonderError('sft: no examples');
  const opt = new AdamW(paramGroups(model, 0.0));
  const rng = new Rng(o.seed ?? 1);
  const bar = o.progress === false ? null : new ProgressBar(o.steps, 'sft');
  const losses: number[] = [];
  for (let s = 0; s < o.steps; s++) {
    const pick = Array.from({ length: o.batchSize }, () => examples[rng.int(examples.length)]);
    const lr = cosineLr(s, { lr: o.lr, warmupSteps: Math.max(1, Math.floor(o.steps / 10)), totalSteps: o.steps });
    const r = trainStep(model, opt, [sftBatch(pick)], lr);
    losses.push(r.loss);
    bar?.update(s + 1, { loss: r.loss.toFixed(3) });
  }
  return losses;
}

// ---- Chat JSONL ---------------------------------------------------------------------------------

/** A line that was skipped, and why (1-based line numbers, as an editor shows them). */
export interface BadLine { line: number; reason: string }

export interface Conversation { line: number; messages: ChatMessage[] }

const ROLES = new Set(['system', 'user', 'assistant']);

/**
 * One line of OpenAI-style chat JSONL, {"messages": [{role, content, reasoning_content?}]}, to
 * messages, or the reason it cannot be used. An assistant turn without reasoning_content gets an
 * empty think block: ponder's assistant always writes one (<think></think> when it does not reason).
 */
export function parseChatLine(text: string): ChatMessage[] | string {
  let obj: unknown;
  try { obj = JSON.parse(text); } catch (e) { return `not JSON (${(e as Error).message})`; }
  const msgs = (obj as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(msgs) || msgs.length === 0) return 'no "messages" array';
  const out: ChatMessage[] = [];
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i] as { role?: unknown; content?: unknown; reasoning_content?: unknown } | null;
    if (m === null || typeof m !== 'object') return `messages[${i}] is not an object`;
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) return `messages[${i}] has unknown role ${JSON.stringify(m.role)} (system, user, assistant)`;
    if (typeof m.content !== 'string') return `messages[${i}] has no string content`;
    if (m.reasoning_content !== undefined && m.reasoning_content !== null && (m.role !== 'assistant' || typeof m.reasoning_content !== 'string')) {
      return `messages[${i}]: reasoning_content must be a string, on assistant turns only`;
    }
    const reasoning = typeof m.reasoning_content === 'string' ? m.reasoning_content : '';
    if (m.content.trim() === '' && reasoning.trim() === '') return `messages[${i}] (${m.role}) is empty`;
    out.push(m.role === 'assistant' ? { role: 'assistant', content: m.content, reasoning } : { role: m.role as 'system' | 'user', content: m.content });
  }
  if (!out.some((m) => m.role === 'assistant')) return 'no assistant turn to learn from';
  return out;
}

/** Every usable conversation of a chat JSONL text, and every line that was skipped. */
export function parseChatJsonl(text: string): { conversations: Conversation[]; bad: BadLine[] } {
  const conversations: Conversation[] = [], bad: BadLine[] = [];
  text.split('\n').forEach((l, i) => {
    if (l.trim() === '') return;
    const r = parseChatLine(l);
    if (typeof r === 'string') bad.push({ line: i + 1, reason: r });
    else conversations.push({ line: i + 1, messages: r });
  });
  return { conversations, bad };
}

export function readChatJsonl(path: string): { conversations: Conversation[]; bad: BadLine[] } {
  if (!existsSync(path)) throw new PonderError(`${path}: no such file`);
  return parseChatJsonl(readFileSync(path, 'utf8'));
}

/** A conversation as ids with, for each id, whether the model is trained to produce it. */
export interface SftSequence { line: number; ids: number[]; learn: Uint8Array }

/**
 * Encodes a conversation with the chat template (the same ids as encodeChat) and marks the
 * assistant tokens after each <|assistant|>: <think>, reasoning, </think>, answer, <|end_of_text|>.
 * maskReasoning leaves the reasoning text unmarked (the think tags stay learnt).
 */
export function encodeSft(tok: Tokenizer, c: Conversation, maskReasoning = false): SftSequence {
  const ids = encodeChat(tok, [], {});
  const learn: number[] = ids.map(() => 0);
  for (const m of c.messages) {
    const part = encodeChat(tok, [m], { bos: false });
    let inReasoning = false;
    part.forEach((id, j) => {
      ids.push(id);
      if (m.role !== 'assistant' || j === 0) { learn.push(0); return; }
      if (id === END_THINK_ID) inReasoning = false;
      learn.push(maskReasoning && inReasoning ? 0 : 1);
      if (id === THINK_ID && j === 1) inReasoning = true;
    });
  }
  if (ids[ids.length - 1] === ASSISTANT_ID) throw new PonderError('internal: conversation ends in an open turn');
  return { line: c.line, ids, learn: Uint8Array.from(learn) };
}

/** Packed rows of T inputs and T targets (-100 where nothing is learnt). */
export interface PackedRows { inputs: Int32Array; targets: Int32Array; rows: number; T: number; learnt: number }

/**
 * First-fit packing in order: each sequence (at most T + 1 ids) goes into the current row when it
 * fits, else opens a new one. A sequence longer than T + 1 must have been dropped by the caller.
 */
export function packSequences(seqs: SftSequence[], T: number): PackedRows {
  const rows: { ids: number[]; learn: number[] }[] = [];
  let cur: { ids: number[]; learn: number[] } | null = null;
  for (const s of seqs) {
    if (s.ids.length > T + 1) throw new PonderError(`internal: a sequence of ${s.ids.length} ids does not fit rows of ${T + 1}`);
    if (!cur || cur.ids.length + s.ids.length > T + 1) rows.push(cur = { ids: [], learn: [] });
    cur.ids.push(...s.ids);
    cur.learn.push(...s.learn);
  }
  const n = rows.length;
  const inputs = new Int32Array(n * T).fill(PAD_ID), targets = new Int32Array(n * T).fill(-100);
  let learnt = 0;
  rows.forEach((r, i) => {
    for (let t = 0; t < r.ids.length - 1; t++) {
      inputs[i * T + t] = r.ids[t];
      if (r.learn[t + 1]) { targets[i * T + t] = r.ids[t + 1]; learnt++; }
    }
  });
  return { inputs, targets, rows: n, T, learnt };
}

/** A batch of packed rows, each [rows it comes from, row index] (conversations and prose alike). */
function rowsBatch(pick: [PackedRows, number][]): Batch {
  const T = pick[0]![0].T, B = pick.length;
  const b: Batch = { inputs: new Int32Array(B * T), targets: new Int32Array(B * T), B, T };
  pick.forEach(([p, r], i) => {
    b.inputs.set(p.inputs.subarray(r * T, (r + 1) * T), i * T);
    b.targets.set(p.targets.subarray(r * T, (r + 1) * T), i * T);
  });
  return b;
}

// ---- The training run ---------------------------------------------------------------------------

export interface TrainSftOptions {
  model: Transformer;
  /** Ponder's tokenizer, or an imported model's (then `format` and `tokenizerFiles` are needed). */
  tokenizer: TextTokenizer;
  /** An imported model's chat format (its Jinja template): conversations are rendered with it. */
  format?: ChatFormat;
  /** An imported model's tokenizer files, carried into the checkpoints. */
  tokenizerFiles?: TokenizerFiles;
  conversations: Conversation[];
  /** Validation conversations; default: the last valFraction of `conversations`. */
  validation?: Conversation[];
  valFraction?: number;
  outDir: string;
  steps: number;
  batchSize: number;
  seqLen?: number;
  lr?: number;
  warmupSteps?: number;
  weightDecay?: number;
  maskReasoning?: boolean;
  evalEvery?: number;
  checkpointEvery?: number;
  seed?: number;
  resume?: boolean;
  maxSeconds?: number;
  progress?: boolean;
  /**
   * Plain-text documents (token ids, as pretraining saw them) mixed into every batch with the loss on
   * every token: proseShare of the rows, rounded. Instruction tuning on chat turns alone makes a
   * model forget to continue raw text ("The boy went to the" followed by its chat habits); a share
   * of the pretraining text keeps it (InstructGPT's pretraining mix).
   */
  prose?: number[][];
  proseShare?: number;
}

export interface TrainSftResult {
  model: Transformer;
  steps: number;
  trainLoss: number;
  valLoss: number;
  /** Conversations skipped because they do not fit the context (by input line). */
  tooLong: BadLine[];
  /** Conversations the model's chat template refused (it raised on them), by input line. */
  refused: BadLine[];
  trainRows: number;
  seconds: number;
}

export function trainSft(o: TrainSftOptions): TrainSftResult {
  const T = o.seqLen ?? o.model.config.max_seq_len;
  if (T > o.model.config.max_seq_len) throw new PonderError(`seq_len ${T} exceeds the model's max_seq_len ${o.model.config.max_seq_len}`);
  const { train, val, tooLong, refused } = splitAndEncode(o, T);
  if (train.length === 0) throw new PonderError('sft: no conversation fits the context; nothing to train on');
  const rng0 = new Rng(o.seed ?? 1);
  shuffle(train, rng0); // packing order: related lines of a file do not all share rows
  const trainRows = packSequences(train, T), valRows = packSequences(val, T);
  const prose = proseRows(o, T);
  const valBatches: Batch[] = [];
  for (let r = 0; r < valRows.rows; r += o.batchSize) valBatches.push(rowsBatch(range(r, Math.min(valRows.rows, r + o.batchSize)).map((i) => [valRows, i])));
  const usableVal = valBatches.filter((b) => b.targets.some((t) => t >= 0));

  mkdirSync(o.outDir, { recursive: true });
  const ckptDir = join(o.outDir, 'checkpoint');
  const metrics = new MetricsLog(join(o.outDir, 'metrics.jsonl'));
  let model = o.model;
  let opt = new AdamW(paramGroups(model, o.weightDecay ?? 0));
  let rng = rng0;
  let step = 0;
  if (o.resume) ({ model, opt, step, rng } = resumeWithTokenizer(ckptDir, o.weightDecay ?? 0, o.tokenizer, o.tokenizerFiles));
  metrics.truncateAfter(o.resume ? step : -1);

  const schedule = { lr: o.lr ?? 3e-4, warmupSteps: o.warmupSteps ?? Math.max(1, Math.floor(o.steps / 20)), totalSteps: o.steps, minRatio: 0.1 };
  const bar = o.progress === false ? null : new ProgressBar(o.steps, 'sft');
  const evalEvery = o.evalEvery ?? 50, ckptEvery = o.checkpointEvery ?? 200;
  const t0 = performance.now();
  let trainLoss = NaN, valLoss = NaN;
  const validate = () => (usableVal.length ? evaluateLoss(model, usableVal) : NaN);
  const save = () => saveCheckpoint(ckptDir, model, { ...tokenizerToSave(o.tokenizer, o.tokenizerFiles), optimizer: opt, state: { step, rng: [...rng.state()], valLoss } });
  while (step < o.steps) {
    const b = mixedBatch(trainRows, prose, Math.min(o.batchSize, trainRows.rows), rng);
    const lr = cosineLr(step, schedule);
    const r = trainStep(model, opt, [b], lr);
    step++;
    trainLoss = r.loss;
    const row: Record<string, unknown> = { step, loss: r.loss, lr, grad_norm: r.gradNorm };
    if (step % evalEvery === 0 || step === o.steps) row.val_loss = valLoss = validate();
    metrics.append(row);
    bar?.update(step, { loss: r.loss.toFixed(3), val: Number.isNaN(valLoss) ? '-' : valLoss.toFixed(3) });
    const overTime = o.maxSeconds !== undefined && (performance.now() - t0) / 1000 > o.maxSeconds;
    if (step % ckptEvery === 0 || step === o.steps || overTime) save();
    if (overTime) {
      console.error(`sft: stopping at step ${step} after ${formatDuration(o.maxSeconds!)} (time budget); resume with --resume`);
      break;
    }
  }
  if (Number.isNaN(valLoss)) valLoss = validate();
  writeSftChart(o.outDir);
  return { model, steps: step, trainLoss, valLoss, tooLong, refused, trainRows: trainRows.rows, seconds: (performance.now() - t0) / 1000 };
}

/** The prose documents packed into rows of T (learnt everywhere) and their rows per batch; null without prose. */
function proseRows(o: TrainSftOptions, T: number): { rows: PackedRows; perBatch: number } | null {
  const share = o.proseShare ?? 0;
  if (!(share >= 0 && share < 1)) throw new PonderError(`sft: proseShare must be in [0, 1), got ${share}`);
  const perBatch = Math.round(o.batchSize * share);
  if (!o.prose?.length || perBatch === 0) return null;
  // A document longer than a row is cut into row-sized pieces (pretraining read it in windows too).
  const seqs: SftSequence[] = o.prose.flatMap((ids, line) => {
    const out: SftSequence[] = [];
    for (let i = 0; i < ids.length; i += T + 1) {
      const piece = ids.slice(i, i + T + 1);
      if (piece.length > 1) out.push({ line, ids: piece, learn: new Uint8Array(piece.length).fill(1) });
    }
    return out;
  });
  return { rows: packSequences(seqs, T), perBatch };
}

/** A batch of rows drawn from the conversations, with the prose's share drawn from the prose. */
function mixedBatch(chat: PackedRows, prose: { rows: PackedRows; perBatch: number } | null, B: number, rng: Rng): Batch {
  const fromProse = prose ? Math.min(prose.perBatch, B - 1) : 0;
  const pick: [PackedRows, number][] = Array.from({ length: B - fromProse }, () => [chat, rng.int(chat.rows)]);
  for (let i = 0; i < fromProse; i++) pick.push([prose!.rows, rng.int(prose!.rows.rows)]);
  return rowsBatch(pick);
}

/**
 * The sequences of one conversation: ponder's format gives one (encodeSft); a template may give one
 * per assistant turn (see assistant-turns.ts).
 */
export function encodeConversation(o: Pick<TrainSftOptions, 'tokenizer' | 'format' | 'maskReasoning'>, c: Conversation): SftSequence[] {
  if (o.format?.kind === 'template') {
    return encodeTemplateConversation(o.format, c.messages, o.maskReasoning ?? false).map((s) => ({ line: c.line, ids: s.ids, learn: Uint8Array.from(s.learn) }));
  }
  if (!(o.tokenizer instanceof Tokenizer)) throw new PonderError('sft: a model with its own tokenizer needs its chat template (format) to render conversations');
  return [encodeSft(o.tokenizer, c, o.maskReasoning)];
}

function splitAndEncode(o: TrainSftOptions, T: number): { train: SftSequence[]; val: SftSequence[]; tooLong: BadLine[]; refused: BadLine[] } {
  let trainC = o.conversations, valC = o.validation;
  if (!valC) {
    const nVal = Math.min(Math.max(1, Math.floor(trainC.length * (o.valFraction ?? 0.05))), Math.max(0, trainC.length - 1));
    valC = trainC.slice(trainC.length - nVal);
    trainC = trainC.slice(0, trainC.length - nVal);
  }
  const tooLong: BadLine[] = [], refused: BadLine[] = [];
  const enc = (cs: Conversation[]) => cs.flatMap((c) => {
    let seqs: SftSequence[];
    try { seqs = encodeConversation(o, c); } catch (e) {
      if (!(e instanceof TemplateRefused)) throw e;
      refused.push({ line: c.line, reason: e.message });
      return [];
    }
    const long = seqs.find((s) => s.ids.length > T + 1);
    if (!long) return seqs;
    tooLong.push({ line: c.line, reason: `${long.ids.length} tokens: longer than the context (${T + 1})` });
    return [];
  });
  return { train: enc(trainC), val: enc(valC), tooLong, refused };
}

function shuffle<T>(xs: T[], rng: Rng): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** loss.svg: SFT train and validation loss against step, from metrics.jsonl. */
export function writeSftChart(outDir: string): void {
  const rows = MetricsLog.read(join(outDir, 'metrics.jsonl'));
  const pts = (k: string) => rows.filter((r) => typeof r[k] === 'number').map((r) => [r.step as number, r[k] as number] as [number, number]);
  writeChart(join(outDir, 'loss.svg'), [{ name: 'train loss', points: pts('loss') }, { name: 'validation loss', points: pts('val_loss') }],
    { title: 'Instruction tuning: loss on assistant tokens', xLabel: 'step', yLabel: 'cross-entropy (nats/token)' });
}
