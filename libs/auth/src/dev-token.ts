import { importJWK, SignJWT } from 'jose';
import { resolveAuthConfig, type AuthConfig } from './auth.config';
import { DEV_ALGORITHM, ensureDevKeyPair } from './dev-keys';
import { ROLES, isRole, type Role } from './roles';

/** Options of {@link issueDevToken}; give `role` or `roles`. */
export interface DevTokenOptions extends Partial<AuthConfig> {
  readonly role?: string;
  readonly roles?: readonly string[];
  /** `sub` claim; default `dev-<first role>`. */
  readonly subject?: string;
  /** Lifetime as understood by jose (`30m`, `8h`, `2d`); default `8h`. */
  readonly ttl?: string;
}

/** Thrown for a role that is not one of {@link ROLES}; the message lists the valid ones. */
export class UnknownRoleError extends Error {
  constructor(readonly role: string) {
    super(`unknown role "${role}"; valid roles: ${ROLES.join(', ')}`);
    this.name = 'UnknownRoleError';
  }
}

/**
 * Signs a token with the local development key (creating it on first use), for `npm run token`
 * and tests. Issuer, audience and key directory default to what services use in development.
 */
export async function issueDevToken(options: DevTokenOptions): Promise<string> {
  const requested = [...(options.roles ?? []), ...(options.role !== undefined ? [options.role] : [])];
  if (requested.length === 0) throw new Error(`a role is required; valid roles: ${ROLES.join(', ')}`);
  const unknown = requested.find((role) => !isRole(role));
  if (unknown !== undefined) throw new UnknownRoleError(unknown);
  const roles = [...new Set(requested as Role[])];

  const config = resolveAuthConfig(options);
  const { privateJwk, kid } = await ensureDevKeyPair(config.devKeyDir);
  const key = await importJWK(privateJwk, DEV_ALGORITHM);
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: DEV_ALGORITHM, kid, typ: 'JWT' })
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setSubject(options.subject ?? `dev-${roles[0]}`)
    .setIssuedAt()
    .setExpirationTime(options.ttl ?? '8h')
    .sign(key);
}
