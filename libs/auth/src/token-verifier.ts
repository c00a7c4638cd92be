import { Inject, Injectable, Logger, OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import { UnauthenticatedError } from '@fleet/core';
import {
  createRemoteJWKSet,
  errors,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { AuthConfig } from './auth.config';
import { DEV_ALGORITHM, ensureDevKeyPair } from './dev-keys';
import { rolesFromClaims, type Role } from './roles';

/** DI token of the resolved {@link AuthConfig}. */
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');

/** What a valid token tells us. */
export interface VerifiedToken {
  /** The `sub` claim: who is calling. */
  readonly subject: string;
  readonly roles: Role[];
  readonly claims: JWTPayload;
}

/** Asymmetric algorithms only: accepting HS* with a public key is the classic JWT forgery. */
const JWKS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
const CLOCK_TOLERANCE = '5s';

/** Turns jose's failures into messages a client developer can act on. */
function explain(error: unknown, config: AuthConfig): string | undefined {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `token audience is not "${config.audience}"`;
    if (error.claim === 'iss') return `token issuer is not "${config.issuer}"`;
    if (error.claim === 'nbf') return 'token is not valid yet (nbf)';
    if (error.reason === 'missing') return `token has no "${error.claim}" claim`;
    return `token claim "${error.claim}" is invalid: ${error.reason}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'token is signed by an unknown key';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token signing algorithm is not allowed';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'token is malformed';
  if (error instanceof errors.JOSENotSupported) return 'token uses an unsupported algorithm or key type';
  return undefined;
}

/**
 * Verifies bearer tokens: signature, `iss`, `aud`, `exp` (required) and `nbf`. Keys come from the
 * configured JWKS URL (fetched and cached by jose, refetched when an unknown `kid` shows up), else
 * from the local development key pair, which is created on first use.
 */
@Injectable()
export class TokenVerifier implements OnModuleInit {
  private readonly logger = new Logger(TokenVerifier.name);
  private keys?: Promise<CryptoKey | JWTVerifyGetKey>;

  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthConfig) {}

  /** Loads the keys at start-up so that an unusable key directory fails the boot, not a request. */
  async onModuleInit(): Promise<void> {
    await this.resolveKeys();
  }

  /**
   * @throws UnauthenticatedError naming what is wrong with the token.
   * @throws ServiceUnavailableException when the JWKS endpoint cannot be reached.
   */
  async verify(token: string): Promise<VerifiedToken> {
    const { issuer, audience, jwksUrl } = this.config;
    const options = {
      issuer,
      audience,
      algorithms: jwksUrl ? JWKS_ALGORITHMS : [DEV_ALGORITHM],
      requiredClaims: ['exp', 'sub'],
      clockTolerance: CLOCK_TOLERANCE,
    };
    try {
      const keys = await this.resolveKeys();
      // Two calls because jose's overloads take either a key or a key resolver, not the union.
      const { payload } =
        typeof keys === 'function'
          ? await jwtVerify(token, keys, options)
          : await jwtVerify(token, keys, options);
      if (typeof payload.sub !== 'string' || payload.sub === '')
        throw new UnauthenticatedError('token has no subject');
      return { subject: payload.sub, roles: rolesFromClaims(payload), claims: payload };
    } catch (error) {
      if (error instanceof UnauthenticatedError) throw error;
      const reason = explain(error, this.config);
      if (reason) throw new UnauthenticatedError(reason);
      // Anything else is our side failing (JWKS down, unreadable key), not a bad token.
      this.logger.error(`cannot verify tokens: ${(error as Error).message}`, (error as Error).stack);
      throw new ServiceUnavailableException('cannot verify tokens right now');
    }
  }

  private resolveKeys(): Promise<CryptoKey | JWTVerifyGetKey> {
    // A failed load is not cached: the next request retries (e.g. the JWKS URL was not resolvable yet).
    this.keys ??= this.loadKeys().catch((error: unknown) => {
      this.keys = undefined;
      throw error;
    });
    return this.keys;
  }

  private async loadKeys(): Promise<CryptoKey | JWTVerifyGetKey> {
    if (this.config.jwksUrl) return createRemoteJWKSet(new URL(this.config.jwksUrl));
    if (process.env['NODE_ENV'] === 'production') {
      // A forgotten AUTH_JWKS_URL must not silently make a production service trust a local key.
      throw new Error('AUTH_JWKS_URL is required when NODE_ENV=production');
    }
    const { publicJwk } = await ensureDevKeyPair(this.config.devKeyDir);
    return (await importJWK(publicJwk, DEV_ALGORITHM)) as CryptoKey;
  }
}
