/**
 * The few typed errors the whole code base throws for broken invariants. Each carries a stable
 * `code` that clients can rely on; HTTP status mapping lives in one place (`@fleet/observability`'s
 * exception filter), vendor errors are translated into these by the adapters.
 */
export abstract class FleetError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input that does not satisfy a contract; `details.issues` names each bad field. */
export class ValidationError extends FleetError {
  readonly code = 'VALIDATION_FAILED';
}

export class NotFoundError extends FleetError {
  readonly code = 'NOT_FOUND';
}

/** The request conflicts with the current state (duplicate identity, retired device...). */
export class ConflictError extends FleetError {
  readonly code = 'CONFLICT';
}

/** The operation is not allowed in the aggregate's current lifecycle state. */
export class IllegalStateError extends FleetError {
  readonly code = 'ILLEGAL_STATE';
}

/** The caller's precondition (e.g. `If-Match` on a twin version) no longer holds. */
export class PreconditionFailedError extends FleetError {
  readonly code = 'PRECONDITION_FAILED';
}

/** Optimistic concurrency: the stream moved on since the caller read it. */
export class ConcurrencyError extends FleetError {
  readonly code = 'WRONG_EXPECTED_REVISION';
  constructor(
    readonly stream: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`stream ${stream} is at revision ${actual}, expected ${expected}`, { stream, expected, actual });
  }
}

/** Missing or invalid credentials. */
export class UnauthenticatedError extends FleetError {
  readonly code = 'UNAUTHENTICATED';
}

/** Authenticated, but the role does not allow the operation. */
export class ForbiddenError extends FleetError {
  readonly code = 'FORBIDDEN';
}

/** A system the operation depends on (broker, database) did not answer; retrying later may work. */
export class DependencyUnavailableError extends FleetError {
  readonly code = 'DEPENDENCY_UNAVAILABLE';
}
