export * from './auth.config';
export * from './auth.guard';
export * from './auth.module';
export * from './decorators';
export * from './dev-keys';
export * from './dev-token';
export * from './roles';
export { AUTH_CONFIG, TokenVerifier, type VerifiedToken } from './token-verifier';
export * from './repo-root';
