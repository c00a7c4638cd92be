import { Injectable, NestMiddleware } from '@nestjs/common';
import type { Histogram } from 'prom-client';
import type { HttpRequest, HttpResponse } from './http-types';
import { Metrics } from './metrics';

/** Latency buckets in seconds, from a cache hit to a slow event-store round trip. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Observes `http_request_duration_seconds{method,route,status}`. The label is the route pattern
 * (`/devices/:id`), read once the response is finished, never the raw URL: ids in labels would
 * create a series per device.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly duration: Histogram<'method' | 'route' | 'status'>;

  constructor(metrics: Metrics) {
    this.duration = metrics.histogram(
      'http_request_duration_seconds',
      'HTTP request latency by method, route pattern and status code',
      ['method', 'route', 'status'],
      BUCKETS,
    );
  }

  use(request: HttpRequest, response: HttpResponse, next: () => void): void {
    const stop = this.duration.startTimer();
    // Express mounts this middleware as a catch-all route; when no handler route replaces it by the
    // end of the request, nothing matched (a 404), and the catch-all pattern would be misleading.
    const catchAll = request.route?.path;
    response.once('finish', () => {
      const path = request.route?.path;
      const route = typeof path === 'string' && path !== catchAll ? path : 'unmatched';
      stop({ method: request.method ?? 'UNKNOWN', route, status: String(response.statusCode) });
    });
    next();
  }
}
