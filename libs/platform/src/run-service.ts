import { bootstrapHttpService, type HttpServiceOptions } from '@fleet/observability';
import type { DynamicModule } from '@nestjs/common';
import type { PlatformConfig } from './platform.config';

/**
 * A service's `main`: validate its configuration once, boot its module, exit 1 with a readable
 * message (naming each bad configuration key) when either fails.
 */
export function runService<
  TConfig extends Pick<PlatformConfig, 'HTTP_PORT' | 'HTTP_HOST'> &
    Partial<Pick<PlatformConfig, 'SHUTDOWN_TIMEOUT_MS'>>,
>(
  service: string,
  loadConfig: () => TConfig,
  module: (config: TConfig) => DynamicModule,
  options: Pick<HttpServiceOptions, 'bodyLimit'> = {},
): void {
  const start = async (): Promise<void> => {
    const config = loadConfig();
    await bootstrapHttpService(module(config), {
      service,
      port: config.HTTP_PORT,
      host: config.HTTP_HOST,
      shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
      ...options,
    });
  };
  start().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
