export type ErrorCode =
  | 'bad_request'
  | 'invalid_json'
  | 'invalid_query'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'validation_failed'
  | 'shape_mismatch'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'insufficient_balance'
  | 'unknown_value'
  | 'awaiting_purchase'
  | 'service_unavailable'
  | 'internal';

const statusOf: Record<ErrorCode, number> = {
  bad_request: 400,
  invalid_json: 400,
  invalid_query: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  validation_failed: 422,
  shape_mismatch: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  insufficient_balance: 409,
  unknown_value: 409,
  awaiting_purchase: 409,
  service_unavailable: 503,
  internal: 500,
};

/** The one error type: a code from a closed set, its HTTP status, and optional details for the client. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.status = statusOf[code];
  }

  toBody(): { error: { code: ErrorCode; message: string; details?: unknown } } {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

/** Turns anything thrown into an Error once, keeping the original as `cause`. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown), { cause: thrown });
}
