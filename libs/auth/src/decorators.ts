import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { UnauthenticatedError, type Actor } from '@fleet/core';
import type { VerifiedToken } from './token-verifier';
import type { Role } from './roles';

export { Public, PUBLIC_ROUTE } from '@fleet/observability';

/** Metadata key of {@link Roles}. */
export const ROLES_KEY = 'fleet:roles';

/**
 * Who may call a handler (or every handler of a controller; a handler-level list replaces the
 * controller's). Routes without it are denied to everyone, admins included: access is granted
 * explicitly, never by omission.
 */
export const Roles = (...roles: [Role, ...Role[]]): ClassDecorator & MethodDecorator =>
  SetMetadata(ROLES_KEY, roles);

/** What the guard attaches to each authenticated request. */
export interface AuthenticatedRequest {
  /** The caller as recorded in event metadata. */
  actor?: Actor;
  /** The verified token. */
  auth?: VerifiedToken;
}

/**
 * The authenticated caller, `{ type: 'operator', id: <token sub> }`, to pass into command metadata
 * so that events record who caused them.
 */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  // Only reachable on a @Public() route, where there is nobody to attribute the change to.
  if (!actor) throw new UnauthenticatedError('this operation needs an authenticated caller');
  return actor;
});
