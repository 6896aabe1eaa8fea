// Validation of a chat completion request at the edge. Every field the server reads is checked:
// a wrong type is 400, a value out of range or a combination that makes no sense is 422, and the
// message names the field (`param`, in OpenAI's dotted form). Fields the server does not use
// (frequency_penalty, user, ...) are ignored, as OpenAI-compatible servers do.
//
// Ponder's extensions (see README.md here):
//   thinking: {type: "enabled" | "disabled" | "auto", budget_tokens?: int}   force or skip reasoning
//   reasoning_effort: "low" | "medium" | "high"   a thinking budget of 256, 1024, or none
//   thinking_budget: int                           the same budget (the web page's name for it)
//   conversation_id: string                        continue a stored conversation
//   regenerate: true                               the last user turn is stored already: answer it again
//   search: true                                   put local search results into the prompt (citations)
//   web_search: true                               put web search results into the prompt (citations; needs --web-search)
//   messages[last] {role: "assistant", prefix: true}  DeepSeek's chat prefix completion: the reply
//                                                  continues that text (<think> in it opens reasoning)
import type { ChatMessage } from '../tokenizer/index.ts';
import { ApiError, badRequest, unprocessable } from './errors.ts';

export type ThinkingMode = 'auto' | 'enabled' | 'disabled';

export interface ChatRequest {
  model: string;
  /** The context: system/user/assistant turns; earlier reasoning_content is dropped (DeepSeek's rule). */
  messages: ChatMessage[];
  stream: boolean;
  includeUsage: boolean;
  maxTokens: number | undefined;
  temperature: number | undefined;
  topP: number | undefined;
  seed: number | undefined;
  stop: string[];
  logprobs: boolean;
  topLogprobs: number;
  thinking: ThinkingMode;
  thinkingBudget: number | undefined;
  conversationId: string | undefined;
  /** store: false keeps the exchange out of the database. */
  store: boolean;
  regenerate: boolean;
  search: boolean;
  webSearch: boolean;
  /** reasoning_content sent back on assistant turns: left out of the context, but moderated like every text a client sends. */
  clientReasoning: string[];
  /** A final assistant message marked `prefix: true` (removed from messages): the reply continues it. */
  prefix?: string;
}

export const REASONING_EFFORT_BUDGET: Record<string, number | undefined> = { low: 256, medium: 1024, high: undefined };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function optNumber(o: Record<string, unknown>, key: string, min: number, max: number, int = false): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`'${key}' must be a number, got ${describe(v)}`, key);
  if (int && !Number.isInteger(v)) throw badRequest(`'${key}' must be an integer, got ${v}`, key);
  if (v < min || v > max) throw unprocessable(`'${key}' must be between ${min} and ${max}, got ${v}`, key);
  return v;
}

function optBool(o: Record<string, unknown>, key: string, param = key): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`'${param}' must be true or false, got ${describe(v)}`, param);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** A message's content: a string, or OpenAI's array of {type: "text", text} parts. */
function contentText(v: unknown, param: string, nullable: boolean): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) {
    if (nullable) return '';
    throw badRequest(`'${param}' is required (a string or an array of text parts)`, param);
  }
  if (!Array.isArray(v)) throw badRequest(`'${param}' must be a string or an array of text parts, got ${describe(v)}`, param);
  return v.map((part, j) => {
    const p = `${param}[${j}]`;
    if (!isObject(part)) throw badRequest(`'${p}' must be an object {type: "text", text}`, p);
    if (part.type !== 'text') throw unprocessable(`'${p}.type' ${describe(part.type)} is not supported: only text parts`, `${p}.type`);
    if (typeof part.text !== 'string') throw badRequest(`'${p}.text' must be a string, got ${describe(part.text)}`, `${p}.text`);
    return part.text;
  }).join('');
}

function parseMessages(v: unknown, maxPromptChars: number): { messages: ChatMessage[]; prefix: string | undefined; clientReasoning: string[] } {
  if (v === undefined) throw badRequest(`'messages' is required`, 'messages');
  if (!Array.isArray(v)) throw badRequest(`'messages' must be an array, got ${describe(v)}`, 'messages');
  if (v.length === 0) throw unprocessable(`'messages' must hold at least one message`, 'messages');
  let chars = 0;
  const clientReasoning: string[] = [];
  const out = v.map((m, i): ChatMessage => {
    const p = `messages[${i}]`;
    if (!isObject(m)) throw badRequest(`'${p}' must be an object {role, content}, got ${describe(m)}`, p);
    if (typeof m.role !== 'string') throw badRequest(`'${p}.role' must be a string, got ${describe(m.role)}`, `${p}.role`);
    const role = m.role === 'developer' ? 'system' : m.role;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      throw unprocessable(`'${p}.role' ${JSON.stringify(m.role)} is not supported (system, developer, user, assistant)`, `${p}.role`);
    }
    // An assistant turn may carry reasoning_content (sent back by clients): accepted, left out of the context.
    if (m.reasoning_content !== undefined && m.reasoning_content !== null && typeof m.reasoning_content !== 'string') {
      throw badRequest(`'${p}.reasoning_content' must be a string, got ${describe(m.reasoning_content)}`, `${p}.reasoning_content`);
    }
    if (typeof m.reasoning_content === 'string' && m.reasoning_content !== '') {
      clientReasoning.push(m.reasoning_content);
      chars += m.reasoning_content.length;
    }
    if (m.prefix !== undefined && m.prefix !== null) {
      if (typeof m.prefix !== 'boolean') throw badRequest(`'${p}.prefix' must be true or false, got ${describe(m.prefix)}`, `${p}.prefix`);
      if (m.prefix && (role !== 'assistant' || i !== v.length - 1)) {
        throw unprocessable(`'${p}.prefix' is only allowed on the last message, an assistant one`, `${p}.prefix`);
      }
    }
    const content = contentText(m.content, `${p}.content`, role === 'assistant');
    chars += content.length;
    return { role, content };
  });
  if (chars > maxPromptChars) throw tooLargePrompt(chars, maxPromptChars);
  const last = v[v.length - 1] as Record<string, unknown>;
  if (last.prefix === true) return { messages: out.slice(0, -1), prefix: out[out.length - 1].content, clientReasoning };
  return { messages: out, prefix: undefined, clientReasoning };
}

/** 413: the prompt is larger than this server accepts, whatever the model. */
function tooLargePrompt(chars: number, max: number): ApiError {
  return new ApiError(413, `the messages hold ${chars} characters; this server accepts at most ${max}`, 'invalid_request_error', 'messages', 'prompt_too_large');
}

function parseStop(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list)) throw badRequest(`'stop' must be a string or an array of strings, got ${describe(v)}`, 'stop');
  if (list.length > 4) throw unprocessable(`'stop' holds ${list.length} sequences; at most 4`, 'stop');
  return list.map((s, i) => {
    if (typeof s !== 'string') throw badRequest(`'stop[${i}]' must be a string, got ${describe(s)}`, `stop[${i}]`);
    if (s.length === 0) throw unprocessable(`'stop[${i}]' is empty`, `stop[${i}]`);
    if (s.length > 64) throw unprocessable(`'stop[${i}]' is ${s.length} characters; at most 64`, `stop[${i}]`);
    return s;
  });
}

function parseThinking(o: Record<string, unknown>): { mode: ThinkingMode; budget: number | undefined } {
  let mode: ThinkingMode = 'auto';
  let budget: number | undefined;
  const effort = o.reasoning_effort;
  if (effort !== undefined && effort !== null) {
    if (typeof effort !== 'string') throw badRequest(`'reasoning_effort' must be a string, got ${describe(effort)}`, 'reasoning_effort');
    if (!Object.hasOwn(REASONING_EFFORT_BUDGET, effort)) throw unprocessable(`'reasoning_effort' must be low, medium or high, got ${JSON.stringify(effort)}`, 'reasoning_effort');
    budget = REASONING_EFFORT_BUDGET[effort];
  }
  const t = o.thinking;
  if (t !== undefined && t !== null) {
    if (!isObject(t)) throw badRequest(`'thinking' must be an object {type, budget_tokens}, got ${describe(t)}`, 'thinking');
    if (t.type !== undefined) {
      if (typeof t.type !== 'string') throw badRequest(`'thinking.type' must be a string, got ${describe(t.type)}`, 'thinking.type');
      if (t.type !== 'enabled' && t.type !== 'disabled' && t.type !== 'auto') {
        throw unprocessable(`'thinking.type' must be enabled, disabled or auto, got ${JSON.stringify(t.type)}`, 'thinking.type');
      }
      mode = t.type;
    }
    const b = optNumber(t, 'budget_tokens', 0, 1 << 20, true);
    if (b !== undefined) budget = b;
  }
  const tb = optNumber(o, 'thinking_budget', 0, 1 << 20, true);
  if (tb !== undefined) budget = tb;
  return { mode, budget };
}

export interface ValidateLimits {
  maxPromptChars: number;
}

/** Checks a parsed JSON body; returns the request the server acts on, or throws an ApiError. */
export function validateChatRequest(body: unknown, limits: ValidateLimits): ChatRequest {
  if (!isObject(body)) throw badRequest(`the request body must be a JSON object, got ${describe(body)}`);
  if (body.model === undefined) throw badRequest(`'model' is required`, 'model');
  if (typeof body.model !== 'string') throw badRequest(`'model' must be a string, got ${describe(body.model)}`, 'model');
  const { messages, prefix, clientReasoning } = parseMessages(body.messages, limits.maxPromptChars);
  const stream = optBool(body, 'stream') ?? false;
  let includeUsage = false;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!isObject(body.stream_options)) throw badRequest(`'stream_options' must be an object, got ${describe(body.stream_options)}`, 'stream_options');
    if (!stream) throw unprocessable(`'stream_options' is only allowed with stream: true`, 'stream_options');
    includeUsage = optBool(body.stream_options, 'include_usage', 'stream_options.include_usage') ?? false;
  }
  const maxTokens = optNumber(body, 'max_completion_tokens', 1, 1 << 20, true) ?? optNumber(body, 'max_tokens', 1, 1 << 20, true);
  const n = optNumber(body, 'n', 1, 128, true);
  if (n !== undefined && n !== 1) throw unprocessable(`'n' must be 1: one choice per request`, 'n');
  const logprobs = optBool(body, 'logprobs') ?? false;
  const topLogprobs = optNumber(body, 'top_logprobs', 0, 20, true);
  if (topLogprobs !== undefined && !logprobs) throw unprocessable(`'top_logprobs' needs 'logprobs': true`, 'top_logprobs');
  const { mode, budget } = parseThinking(body);
  let conversationId: string | undefined;
  if (body.regenerate === true && (body.conversation_id === undefined || body.conversation_id === null)) {
    throw unprocessable(`'regenerate' needs 'conversation_id': the question to answer again is stored there`, 'regenerate');
  }
  if (body.conversation_id !== undefined && body.conversation_id !== null) {
    if (typeof body.conversation_id !== 'string' || body.conversation_id.length === 0 || body.conversation_id.length > 100) {
      throw badRequest(`'conversation_id' must be a non-empty string, got ${describe(body.conversation_id)}`, 'conversation_id');
    }
    conversationId = body.conversation_id;
  }
  return {
    model: body.model,
    messages,
    stream,
    includeUsage,
    maxTokens,
    temperature: optNumber(body, 'temperature', 0, 2),
    topP: (() => {
      const p = optNumber(body, 'top_p', 0, 1);
      if (p === 0) throw unprocessable(`'top_p' must be greater than 0`, 'top_p');
      return p;
    })(),
    seed: optNumber(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true),
    stop: parseStop(body.stop),
    logprobs,
    topLogprobs: topLogprobs ?? 0,
    thinking: mode,
    thinkingBudget: budget,
    conversationId,
    store: optBool(body, 'store') ?? true,
    regenerate: optBool(body, 'regenerate') ?? false,
    search: optBool(body, 'search') ?? false,
    webSearch: optBool(body, 'web_search') ?? false,
    clientReasoning,
    ...(prefix !== undefined ? { prefix } : {}),
  };
}
