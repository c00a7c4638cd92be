import { Controller, Get, Header, Res } from '@nestjs/common';
import { HealthChecks, ReadinessReport } from './health';
import type { HttpResponse } from './http-types';
import { Metrics } from './metrics';
import { Public } from './public';

/** Probes and the Prometheus scrape endpoint; public because orchestrators carry no tokens. */
@Public()
@Controller()
export class ObservabilityController {
  constructor(
    private readonly health: HealthChecks,
    private readonly metrics: Metrics,
  ) {}

  /** Liveness: answering at all proves the event loop turns; dependencies are readiness' business. */
  @Get('health/live')
  @Header('Cache-Control', 'no-store')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('health/ready')
  @Header('Cache-Control', 'no-store')
  async ready(@Res({ passthrough: true }) response: HttpResponse): Promise<ReadinessReport> {
    const report = await this.health.run();
    response.status(report.status === 'ready' ? 200 : 503);
    return report;
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async scrape(@Res({ passthrough: true }) response: HttpResponse): Promise<string> {
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    return this.metrics.render();
  }
}
