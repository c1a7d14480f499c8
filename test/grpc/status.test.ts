import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { DEFINITE_FAILURE_CODES, callEffect, isUnknownOutcome, statusName } from '../../src/grpc/status.js';

const codes = Object.values(status).filter((v): v is status => typeof v === 'number');

describe('gRPC status meaning: one rule for attack, the demos and recorded histories', () => {
  it('names every code of grpc-js the way ghz prints it, and an undefined code as Code(N)', () => {
    expect(codes).toHaveLength(17);
    for (const code of codes) expect(statusName(code)).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(statusName(status.DEADLINE_EXCEEDED)).toBe('DeadlineExceeded');
    expect(statusName(status.CANCELLED)).toBe('Canceled');
    expect(statusName(42)).toBe('Code(42)');
  });

  it('counts a call as failed only when the server refused it before acting', () => {
    expect([...DEFINITE_FAILURE_CODES].sort((a, b) => a - b)).toEqual(
      [
        status.INVALID_ARGUMENT,
        status.NOT_FOUND,
        status.ALREADY_EXISTS,
        status.PERMISSION_DENIED,
        status.FAILED_PRECONDITION,
        status.OUT_OF_RANGE,
        status.UNIMPLEMENTED,
        status.UNAUTHENTICATED,
      ].sort((a, b) => a - b),
    );
    expect(callEffect(status.OK)).toBe('ok');
    for (const code of codes) {
      if (code === status.OK) continue;
      expect(callEffect(code), statusName(code)).toBe(DEFINITE_FAILURE_CODES.has(code) ? 'fail' : 'info');
      expect(isUnknownOutcome(code)).toBe(!DEFINITE_FAILURE_CODES.has(code));
    }
  });

  it('treats every error that may follow the handler acting as unknown, and a code it does not know too', () => {
    for (const code of [status.CANCELLED, status.UNKNOWN, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED, status.ABORTED, status.INTERNAL, status.UNAVAILABLE, status.DATA_LOSS]) {
      expect(isUnknownOutcome(code), statusName(code)).toBe(true);
    }
    expect(callEffect(99)).toBe('info');
  });
});
