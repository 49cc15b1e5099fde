import type express from 'express';
import { isDatabaseUnavailable } from '../../eventstore/index.js';
import { DATABASE_RETRY_AFTER_SECONDS, toApiError } from '../errors.js';

/**
 * The last express error handler: a body over the limit is 413, another client error of body parsing 4xx,
 * both BAD_USER_INPUT; a database outage 503 with Retry-After; anything else goes on to express (500).
 */
export function apiErrorHandler(
  maxBodyBytes: number,
  onInternal: (error: unknown) => void,
): express.ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    const status = (error as { status?: number; type?: string }).status;
    if ((error as { type?: string }).type === 'entity.too.large') {
      res.status(413).json({
        errors: [
          {
            message: `request body too large: the limit is ${maxBodyBytes} bytes; send smaller documents or variables`,
            extensions: { code: 'BAD_USER_INPUT' },
          },
        ],
      });
      return;
    }
    if (status && status >= 400 && status < 500) {
      res.status(status).json({
        errors: [{ message: String((error as Error).message), extensions: { code: 'BAD_USER_INPUT' } }],
      });
      return;
    }
    if (isDatabaseUnavailable(error) && !res.headersSent) {
      const mapped = toApiError(error, onInternal);
      res.setHeader('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      res.status(503).json({
        errors: [{ message: mapped.message, extensions: { ...mapped.extensions, code: mapped.code } }],
      });
      return;
    }
    next(error);
  };
}
