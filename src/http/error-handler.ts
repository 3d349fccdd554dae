import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError, toError } from '../shared/errors';

/** Errors thrown by Express's own body parsers, turned into our codes. */
function fromBodyParser(error: { status?: number; type?: string; message?: string }): AppError | null {
  switch (error.type) {
    case 'entity.parse.failed':
      return new AppError('invalid_json', `the body is not valid JSON: ${error.message ?? ''}`.trim());
    case 'entity.too.large':
      return new AppError('payload_too_large', 'the body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupported_media_type', error.message ?? 'unsupported encoding');
    default:
      return typeof error.status === 'number' && error.status >= 400 && error.status < 500 ? new AppError('bad_request', error.message ?? 'bad request') : null;
  }
}

export const notFound: RequestHandler = (req) => {
  throw new AppError('not_found', `no route for ${req.method} ${req.path}`);
};

/** The one place errors become answers: `{ "error": { "code", "message", "details" } }`. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (thrown: unknown, req, res, _next) => {
    const known = thrown instanceof AppError ? thrown : fromBodyParser((thrown ?? {}) as Record<string, never>);
    const error = known ?? new AppError('internal', 'internal error', undefined, { cause: thrown });
    if (error.status >= 500) {
      logger.error({ err: toError(error.cause ?? thrown), requestId: res.locals.requestId, path: req.path }, 'request failed');
    }
    if (res.headersSent) return;
    res.status(error.status).json(error.toBody());
  };
}
