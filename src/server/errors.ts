// API errors in OpenAI's shape: {"error": {"message", "type", "param", "code"}}, each with the
// HTTP status that says what went wrong (400 malformed, 401 key, 404 unknown, 413 too large,
// 422 semantically invalid, 429 rate limited, 500 bug, 502 upstream, 503 overloaded).

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    /** Extra response headers (Retry-After, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: the request is not well-formed (bad JSON, a field of the wrong type). */
export const badRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(400, message, 'invalid_request_error', param, code);

/** 422: well-formed, but a value is not acceptable (out of range, too long for the context). */
export const unprocessable = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(422, message, 'invalid_request_error', param, code);

export const unauthorized = (message: string) =>
  new ApiError(401, message, 'authentication_error', null, 'invalid_api_key', { 'WWW-Authenticate': 'Bearer' });

export const notFound = (message: string, param: string | null = null, code: string | null = null) =>
  new ApiError(404, message, 'not_found_error', param, code);

export const tooLarge = (message: string, param: string | null = null) =>
  new ApiError(413, message, 'invalid_request_error', param, 'request_too_large');

export const rateLimited = (message: string, retryAfterS: number) =>
  new ApiError(429, message, 'rate_limit_error', null, 'rate_limit_exceeded', { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterS))) });

export const overloaded = (message: string) =>
  new ApiError(503, message, 'overloaded_error', null, 'overloaded', { 'Retry-After': '1' });

export const upstreamError = (message: string) => new ApiError(502, message, 'upstream_error', null, 'upstream_error');

export const internalError = (requestId: string) =>
  new ApiError(500, `internal server error (request ${requestId}); the server log has the details`, 'server_error', null, 'internal_error');
