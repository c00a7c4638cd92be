import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthenticatedError } from '@fleet/core';
import { PUBLIC_ROUTE } from '@fleet/observability';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROLES_KEY, type AuthenticatedRequest } from './decorators';
import type { Role } from './roles';
import { TokenVerifier } from './token-verifier';

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;

/** RFC 6750 §3: tell the client which scheme to use and, when a token was sent, what was wrong. */
function challenge(response: ServerResponse, description?: string): void {
  const detail = description
    ? `, error="invalid_token", error_description="${description.replace(/"/g, "'")}"`
    : '';
  response.setHeader('WWW-Authenticate', `Bearer realm="fleetwise"${detail}`);
}

/**
 * Global default-deny guard (installed by `AuthModule`): `@Public()` routes pass; every other HTTP
 * route needs a valid bearer token (401 otherwise) carrying one of the roles its `@Roles(...)`
 * lists (403 otherwise, and always 403 when it lists none).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Message consumers and RPC handlers are not reachable by operators; their trust is the broker's.
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<IncomingMessage & AuthenticatedRequest>();
    const response = http.getResponse<ServerResponse>();
    const header = request.headers.authorization;
    if (!header) {
      challenge(response);
      throw new UnauthenticatedError('missing bearer token (Authorization: Bearer <token>)');
    }
    const token = BEARER.exec(header)?.[1];
    if (!token) {
      challenge(response, 'Authorization header must use the Bearer scheme');
      throw new UnauthenticatedError('Authorization header must use the Bearer scheme');
    }
    let verified;
    try {
      verified = await this.verifier.verify(token);
    } catch (error) {
      if (error instanceof UnauthenticatedError) challenge(response, error.message);
      throw error;
    }
    request.auth = verified;
    request.actor = { type: 'operator', id: verified.subject };

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets) ?? [];
    if (allowed.length === 0) {
      throw new ForbiddenError(
        'access denied: this route declares no roles (@Roles) and is closed by default',
      );
    }
    if (!verified.roles.some((role) => allowed.includes(role))) {
      throw new ForbiddenError(`requires one of the roles ${allowed.join(', ')}`, {
        requiredRoles: allowed,
        grantedRoles: verified.roles,
      });
    }
    return true;
  }
}
