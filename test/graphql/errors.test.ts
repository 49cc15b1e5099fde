/** How refusals become API codes and HTTP statuses: by the kind each domain code declares, never a 500. */
import { describe, expect, it } from 'vitest';
import { DomainError, domainErrorKinds, type DomainErrorCode } from '../../src/domain/index.js';
import { IdempotencyKeyReusedError } from '../../src/eventstore/index.js';
import { httpStatusForCode, toApiError } from '../../src/graphql/errors.js';
import { ConcurrencyConflictError } from '../../src/services/index.js';

const codes = Object.keys(domainErrorKinds) as DomainErrorCode[];

describe('API errors', () => {
  it('answers state refusals (a pending rollback or deployment, out of order) with CONFLICT', () => {
    for (const code of [
      'ROLLBACK_PENDING',
      'DEPLOYMENT_PENDING',
      'DEPLOYMENT_NOT_REQUESTED',
      'ROLLBACK_NOT_REQUESTED',
      'STAGE_OUT_OF_ORDER',
      'PROMOTION_NEEDS_PASSED_EVALUATION',
    ] as const) {
      const mapped = toApiError(new DomainError(code, 'refused'));
      expect(mapped.code, code).toBe('CONFLICT');
      expect(mapped.extensions?.['domainCode']).toBe(code);
      expect(httpStatusForCode(mapped.code)).toBe(409);
    }
  });

  it('maps every declared domain code by its kind, and none to an internal error', () => {
    const expected = {
      invalid: 'BAD_USER_INPUT',
      'not-found': 'NOT_FOUND',
      forbidden: 'FORBIDDEN',
      conflict: 'CONFLICT',
    };
    for (const code of codes) {
      const mapped = toApiError(new DomainError(code, 'refused'), () => {
        throw new Error(`${code} was taken for an internal error`);
      });
      expect(mapped.code, code).toBe(expected[domainErrorKinds[code]]);
      expect(httpStatusForCode(mapped.code), code).toBeLessThan(500);
    }
  });

  it('answers a stream that stayed busy with a retryable CONFLICT, and a reused key with IDEMPOTENCY_KEY_REUSED', () => {
    const busy = toApiError(new ConcurrencyConflictError('interaction-1', 26));
    expect(busy).toMatchObject({
      code: 'CONFLICT',
      extensions: { retryable: true, streamId: 'interaction-1' },
    });
    const reused = toApiError(new IdempotencyKeyReusedError('k-1'));
    expect(reused).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', extensions: { idempotencyKey: 'k-1' } });
    expect(httpStatusForCode(reused.code)).toBe(409);
  });
});
