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
  /** Longest orderly shutdown after SIGTERM/SIGINT; past it the process exits 1. Default 25 s. */
  readonly shutdownTimeoutMs?: number;
}

const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Creates, wires and starts an HTTP service whose root module imports `ObservabilityModule`.
 *
 * Logs go through pino from the first line (Nest's start-up lines are buffered until the logger
 * exists). On SIGTERM/SIGINT the app closes (Nest runs `onModuleDestroy`, `beforeApplicationShutdown`,
 * closes the server once its requests are answered, runs `onApplicationShutdown`) and the process
 * exits 0, or 1 when a hook throws — `process.exit` rather than re-raising the signal, so
 * orchestrators see a clean exit. The start and end of that shutdown are logged; one that outlasts
 * `shutdownTimeoutMs` exits 1 with a log line, before Kubernetes' SIGKILL would end it unheard.
 *
 * Start-up errors reject the returned promise instead of aborting the process, so `main.ts` can
 * simply let the rejection crash the process with a readable stack.
 */
export async function bootstrapHttpService(
  module: Type<unknown> | DynamicModule,
  { service, port, host = '0.0.0.0', bodyLimit = '100kb', shutdownTimeoutMs = 25_000 }: HttpServiceOptions,
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
  stopOnSignals(app, logger, shutdownTimeoutMs);
  await app.listen(port, host);
  const address = app.getHttpServer().address() as AddressInfo;
  logger.log(`${service} listening on http://${host}:${address.port}`, 'Bootstrap');
  return app;
}

let running: { app: INestApplication; logger: Logger; timeoutMs: number } | undefined;

/**
 * Closes the (last started) app on SIGTERM/SIGINT, logging start and end, and ends a shutdown that
 * hangs. One listener per process, however many apps tests start. The last line is logged before
 * `process.exit`, whose handlers flush pino's buffer; one logged on 'exit' would come too late.
 */
function stopOnSignals(app: INestApplication, logger: Logger, timeoutMs: number): void {
  const installed = running !== undefined;
  running = { app, logger, timeoutMs };
  if (installed) return;
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping || !running) return; // a second signal changes nothing: the first is being served
    stopping = true;
    const { app: current, logger: log, timeoutMs: budget } = running;
    const startedAt = Date.now();
    log.log(`${signal} received: stopping intake, finishing in-flight work`, 'Shutdown');
    setTimeout(() => {
      log.error(`shutdown still running after ${budget} ms: exiting 1`, 'Shutdown');
      process.exit(1);
    }, budget).unref();
    let code = 0;
    try {
      await current.close();
    } catch (error) {
      code = 1;
      log.error(`shutdown failed: ${(error as Error).message}`, (error as Error).stack, 'Shutdown');
    }
    log.log(`stopped in ${Date.now() - startedAt} ms with exit code ${code}`, 'Shutdown');
    process.exit(code);
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, (s: NodeJS.Signals) => void stop(s));
}
