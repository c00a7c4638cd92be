import type { AddressInfo } from 'node:net';
import { type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';

/** Options of {@link bootstrapHttpService}. */
export interface HttpServiceOptions {
  readonly service: string;
  /** 0 picks a free port (tests); the chosen one is logged and available via `app.getHttpServer()`. */
  readonly port: number;
  /** Interface to bind; default `0.0.0.0` so that containers are reachable. */
  readonly host?: string;
  /** Largest request body (JSON, and `text/csv` for bulk uploads); default `100kb`. */
  readonly bodyLimit?: string;
}

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'];

/**
 * Creates, wires and starts an HTTP service whose root module imports `ObservabilityModule`.
 *
 * Logs go through pino from the first line (Nest's start-up lines are buffered until the logger
 * exists). On SIGTERM/SIGINT Nest runs `onModuleDestroy`, `beforeApplicationShutdown`, closes the
 * server, runs `onApplicationShutdown` and then exits 0 (or 1 when a hook throws) — `process.exit`
 * rather than re-raising the signal, so orchestrators see a clean exit.
 *
 * Start-up errors reject the returned promise instead of aborting the process, so `main.ts` can
 * simply let the rejection crash the process with a readable stack.
 */
export async function bootstrapHttpService(
  module: Type<unknown> | DynamicModule,
  { service, port, host = '0.0.0.0', bodyLimit = '100kb' }: HttpServiceOptions,
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useBodyParser('json', { limit: bodyLimit });
  app.useBodyParser('text', { type: 'text/csv', limit: bodyLimit });
  let logger: Logger;
  try {
    logger = app.get(Logger);
  } catch {
    await app.close();
    throw new Error(
      `${service}: bootstrapHttpService needs ObservabilityModule.forRoot(...) in the root module`,
    );
  }
  app.useLogger(logger);
  app.enableShutdownHooks(SHUTDOWN_SIGNALS, { useProcessExit: true });
  await app.listen(port, host);
  const address = app.getHttpServer().address() as AddressInfo;
  logger.log(`${service} listening on http://${host}:${address.port}`, 'Bootstrap');
  return app;
}
