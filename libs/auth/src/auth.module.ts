import {
  DynamicModule,
  Global,
  Module,
  type FactoryProvider,
  type ModuleMetadata,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { resolveAuthConfig, type AuthConfig } from './auth.config';
import { AuthGuard } from './auth.guard';
import { AUTH_CONFIG, TokenVerifier } from './token-verifier';

/** Options of {@link AuthModule.forRootAsync}. */
export interface AuthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  // Nest's own factory signature: injected values are untyped by nature.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  useFactory: (...args: any[]) => Partial<AuthConfig> | Promise<Partial<AuthConfig>>;
  inject?: FactoryProvider['inject'];
}

/**
 * Bearer-token authentication and role-based authorisation for every HTTP route of the app,
 * through a global default-deny guard. Import once in the app module, next to
 * `ObservabilityModule` (whose exception filter turns the guard's errors into 401/403).
 */
@Global()
@Module({})
export class AuthModule {
  /** `AuthModule.forRoot(authConfigFromEnv(config))`, or `forRoot()` for development defaults. */
  static forRoot(config: Partial<AuthConfig> = {}): DynamicModule {
    return AuthModule.build({ provide: AUTH_CONFIG, useValue: resolveAuthConfig(config) }, []);
  }

  /** For configuration that is itself provided through DI. */
  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    const provider: FactoryProvider<AuthConfig> = {
      provide: AUTH_CONFIG,
      useFactory: async (...args: unknown[]) => resolveAuthConfig(await options.useFactory(...args)),
      inject: options.inject ?? [],
    };
    return AuthModule.build(provider, options.imports ?? []);
  }

  private static build(
    configProvider: Provider,
    imports: NonNullable<ModuleMetadata['imports']>,
  ): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      imports,
      providers: [configProvider, TokenVerifier, { provide: APP_GUARD, useClass: AuthGuard }],
      exports: [AUTH_CONFIG, TokenVerifier],
    };
  }
}
