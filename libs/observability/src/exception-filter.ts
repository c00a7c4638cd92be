import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import {
  ConcurrencyError,
  PreconditionFailedError,
  ConflictError,
  DependencyUnavailableError,
  FleetError,
  ForbiddenError,
  IllegalStateError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from '@fleet/core';
import type { HttpRequest, HttpResponse } from './http-types';

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly statusCode: number;
  /** Stable machine-readable code (`VALIDATION_FAILED`, `NOT_FOUND`...). */
  readonly error: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/** Key in `FleetError.details` that overrides the default status; see {@link withHttpStatus}. */
export const HTTP_STATUS_DETAIL = 'httpStatus';

/**
 * Makes the exception filter answer `error` with `status` instead of its default, e.g. a
 * `ConcurrencyError` on a request that carried `If-Match` becomes 412 Precondition Failed.
 */
export function withHttpStatus<E extends FleetError>(error: E, status: number): E {
  error.details[HTTP_STATUS_DETAIL] = status;
  return error;
}

const STATUS_BY_ERROR: ReadonlyArray<readonly [abstract new (...args: never[]) => FleetError, number]> = [
  [ValidationError, HttpStatus.BAD_REQUEST],
  [UnauthenticatedError, HttpStatus.UNAUTHORIZED],
  [ForbiddenError, HttpStatus.FORBIDDEN],
  [NotFoundError, HttpStatus.NOT_FOUND],
  [ConflictError, HttpStatus.CONFLICT],
  [IllegalStateError, HttpStatus.CONFLICT],
  [ConcurrencyError, HttpStatus.CONFLICT],
  [PreconditionFailedError, HttpStatus.PRECONDITION_FAILED],
  [DependencyUnavailableError, HttpStatus.SERVICE_UNAVAILABLE],
];

/** Errors from Express middleware (body-parser's 413, 415...) follow the http-errors convention. */
interface ExposedHttpError extends Error {
  status: number;
  expose: true;
}

function isExposedHttpError(error: unknown): error is ExposedHttpError {
  const candidate = error as Partial<ExposedHttpError> | null;
  return error instanceof Error && typeof candidate?.status === 'number' && candidate.expose === true;
}

function codeForStatus(status: number): string {
  return HttpStatus[status] ?? (status >= 500 ? 'INTERNAL' : 'HTTP_ERROR');
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/**
 * Nest maps body-parser's SyntaxError to a bare BadRequestException carrying the parser's message,
 * so the JSON wording is the only trace left of it.
 */
function isMalformedJson(exception: HttpException, message: string): boolean {
  return exception instanceof BadRequestException && /\bJSON\b/.test(message);
}

/** Translates any exception into the body shape of {@link ErrorBody}. Exported for tests. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof FleetError) {
    const { [HTTP_STATUS_DETAIL]: override, ...details } = exception.details;
    const mapped =
      STATUS_BY_ERROR.find(([type]) => exception instanceof type)?.[1] ?? HttpStatus.INTERNAL_SERVER_ERROR;
    const statusCode = typeof override === 'number' && override >= 400 && override <= 599 ? override : mapped;
    const body = { statusCode, error: exception.code, message: exception.message };
    return Object.keys(details).length > 0 ? { ...body, details } : body;
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const message = messageOf(exception);
    if (isMalformedJson(exception, message)) {
      return { statusCode, error: 'MALFORMED_JSON', message: `malformed JSON body: ${message}` };
    }
    return { statusCode, error: codeForStatus(statusCode), message };
  }
  if (isExposedHttpError(exception) && exception.status >= 400 && exception.status < 500) {
    return {
      statusCode: exception.status,
      error: codeForStatus(exception.status),
      message: exception.message,
    };
  }
  return { statusCode: 500, error: 'INTERNAL', message: 'internal server error' };
}

/**
 * The single place where errors become HTTP responses (registered globally by
 * `ObservabilityModule`). Internal errors are logged with their stack and answered with a generic
 * message, so nothing about the implementation leaks to clients.
 */
@Catch()
export class FleetExceptionFilter implements ExceptionFilter {
  private readonly fallbackLogger = new Logger('FleetExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    // Non-HTTP contexts (RPC, WebSockets) have their own error conventions.
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const response = http.getResponse<HttpResponse>();
    const body = toErrorBody(exception);
    if (body.statusCode >= 500) this.logFailure(exception, request);
    if (response.headersSent) return;
    // RFC 9110: a 401 must say how to authenticate; the auth guard may already have been more precise.
    if (body.statusCode === 401 && !response.getHeader('www-authenticate'))
      response.setHeader('WWW-Authenticate', 'Bearer');
    response.status(body.statusCode).json(body);
  }

  private logFailure(exception: unknown, request: HttpRequest): void {
    const message = `unhandled error on ${request.method} ${request.url}`;
    if (request.log) request.log.error({ err: exception }, message);
    else this.fallbackLogger.error(message, exception instanceof Error ? exception.stack : String(exception));
  }
}
