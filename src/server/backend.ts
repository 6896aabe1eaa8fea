// What the chat endpoint needs from a model backend: the local engine (local.ts) or an
// OpenAI-compatible upstream server (upstream.ts). Both deliver the same events, reasoning
// and answer already split, so the endpoint does not know which one it talks to.
import type { ChatRequest } from './validate.ts';

/** One token's log-probability in OpenAI's shape. */
export interface LogprobEntry {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top_logprobs: { token: string; logprob: number; bytes: number[] | null }[];
}

export interface GenEvent {
  kind: 'reasoning' | 'content';
  text: string;
  /** Log-probabilities of the answer tokens this text came from (content only, when asked). */
  logprobs?: LogprobEntry[];
}

export type GenFinish = 'stop' | 'length' | 'content_filter' | 'cancelled';

export interface GenResult {
  finish: GenFinish;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  /** Milliseconds waiting for a slot (the local engine's queue), when known. */
  queueMs?: number;
}

/** A started generation: events flow through the emit callback until done settles. */
export interface Generation {
  done: Promise<GenResult>;
}

export interface ModelCard {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  /** How a local model runs: 'quantised-runner' (a GGUF's weights in place) or 'f32' (the autograd model). */
  runtime?: 'quantised-runner' | 'f32';
}

export interface ChatBackend {
  readonly kind: 'local' | 'upstream';
  listModels(): Promise<ModelCard[]>;
  /**
   * Starts a generation. Rejects with an ApiError when the request cannot start (unknown model,
   * prompt too long, queue full, upstream refused) before any event was emitted.
   */
  start(req: ChatRequest, signal: AbortSignal, emit: (ev: GenEvent) => void): Promise<Generation>;
  /**
   * Whether the request's prompt leaves the model room to answer (local models have a small
   * context); absent when the backend cannot tell (an upstream).
   */
  fitsContext?(req: ChatRequest): boolean;
  /** Throws the 422 start() would for a prompt too long for the context; absent when the backend cannot tell. */
  checkPrompt?(req: ChatRequest): unknown;
  /** Gauges for /metrics. */
  stats(): { queueDepth: number; active: number };
}
