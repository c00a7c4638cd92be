import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import {
  ConcurrencyError,
  ConflictError,
  ForbiddenError,
  IllegalStateError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from '@fleet/core';
import { toErrorBody, withHttpStatus } from './exception-filter';

describe('toErrorBody', () => {
  it.each([
    [
      new ValidationError('bad', { issues: [{ path: 'serial', message: 'Required' }] }),
      400,
      'VALIDATION_FAILED',
    ],
    [new UnauthenticatedError('who?'), 401, 'UNAUTHENTICATED'],
    [new ForbiddenError('no'), 403, 'FORBIDDEN'],
    [new NotFoundError('gone'), 404, 'NOT_FOUND'],
    [new ConflictError('dup'), 409, 'CONFLICT'],
    [new IllegalStateError('retired'), 409, 'ILLEGAL_STATE'],
    [new ConcurrencyError('device-1', '3', '4'), 409, 'WRONG_EXPECTED_REVISION'],
  ])('maps %p to %i', (error, statusCode, code) => {
    expect(toErrorBody(error)).toMatchObject({ statusCode, error: code, message: error.message });
  });

  it('keeps details, minus the status override', () => {
    const error = withHttpStatus(new ConcurrencyError('device-1', '3', '4'), 412);
    expect(toErrorBody(error)).toEqual({
      statusCode: 412,
      error: 'WRONG_EXPECTED_REVISION',
      message: 'stream device-1 is at revision 4, expected 3',
      details: { stream: 'device-1', expected: '3', actual: '4' },
    });
  });

  it('leaves details out when there are none', () => {
    expect(toErrorBody(new NotFoundError('gone'))).toEqual({
      statusCode: 404,
      error: 'NOT_FOUND',
      message: 'gone',
    });
  });

  it('uses the status of Nest HTTP exceptions', () => {
    expect(toErrorBody(new NotFoundException('Cannot GET /nope'))).toEqual({
      statusCode: 404,
      error: 'NOT_FOUND',
      message: 'Cannot GET /nope',
    });
    expect(toErrorBody(new PayloadTooLargeException())).toMatchObject({
      statusCode: 413,
      error: 'PAYLOAD_TOO_LARGE',
    });
  });

  it('recognises body-parser syntax errors as malformed JSON', () => {
    const parserError = new BadRequestException(`Expected property name or '}' in JSON at position 1`);
    expect(toErrorBody(parserError)).toEqual({
      statusCode: 400,
      error: 'MALFORMED_JSON',
      message: `malformed JSON body: Expected property name or '}' in JSON at position 1`,
    });
  });

  it('honours exposed http-errors from Express middleware', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, expose: true });
    expect(toErrorBody(tooLarge)).toMatchObject({ statusCode: 413, message: 'request entity too large' });
  });

  it('answers anything else with a generic 500', () => {
    expect(toErrorBody(new TypeError("Cannot read properties of undefined (reading 'pg')"))).toEqual({
      statusCode: 500,
      error: 'INTERNAL',
      message: 'internal server error',
    });
  });
});
