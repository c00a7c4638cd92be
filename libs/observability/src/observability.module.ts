import { DynamicModule, Global, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { FleetExceptionFilter } from './exception-filter';
import { HealthChecks } from './health';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { createLogger, httpLoggerOptions } from './logging';
import { Metrics } from './metrics';
import { ObservabilityController } from './observability.controller';

/** Options of {@link ObservabilityModule.forRoot}. */
export interface ObservabilityOptions {
  /** Service name, added to every log line and metric (`device-twin`). */
  readonly service: string;
  /** pino level; default `info`. Tests usually pass `silent`. */
  readonly logLevel?: string;
  /** Log destination; stdout when omitted. Meant for tests that assert on log lines. */
  readonly logStream?: DestinationStream;
}

const ALL_ROUTES = { path: '*', method: RequestMethod.ALL };

/**
 * Logging, metrics, probes and error mapping for an HTTP service. Import once, in the app module:
 * `ObservabilityModule.forRoot({ service: 'device-twin', logLevel: config.LOG_LEVEL })`.
 *
 * Provides (globally) {@link Metrics}, {@link HealthChecks} and nestjs-pino's `Logger`/`PinoLogger`;
 * serves `GET /metrics`, `GET /health/live`, `GET /health/ready`; registers
 * {@link FleetExceptionFilter} as the global exception filter.
 */
@Global()
@Module({})
export class ObservabilityModule implements NestModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    const logger = createLogger({
      service: options.service,
      level: options.logLevel,
      stream: options.logStream,
    });
    return {
      module: ObservabilityModule,
      global: true,
      imports: [LoggerModule.forRoot({ pinoHttp: httpLoggerOptions(logger), forRoutes: [ALL_ROUTES] })],
      controllers: [ObservabilityController],
      providers: [
        { provide: Metrics, useFactory: () => new Metrics(options.service) },
        HealthChecks,
        { provide: APP_FILTER, useClass: FleetExceptionFilter },
      ],
      exports: [Metrics, HealthChecks],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes(ALL_ROUTES);
  }
}
