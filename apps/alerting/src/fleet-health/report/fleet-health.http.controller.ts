import { Roles } from '@fleet/auth';
import { parseInput } from '@fleet/observability';
import { Controller, Get, Query } from '@nestjs/common';
import { z } from 'zod';
import type { FleetHealth } from '../fleet-health';
import { FleetHealthReport } from './fleet-health.service';

const healthQuery = z.object({ fresh: z.enum(['true', 'false']).optional() }).strict();

/** A summary of the fleet's health: connectivity, battery, alerts, notifications. */
@Controller('fleet')
export class FleetHealthHttpController {
  constructor(private readonly report: FleetHealthReport) {}

  /** The report of the last refresh (ALERTING_HEALTH_REFRESH_MS); `?fresh=true` computes it now. */
  @Get('health')
  @Roles('admin', 'operator', 'support', 'viewer')
  health(@Query() query: Record<string, unknown>): Promise<FleetHealth> {
    const q = parseInput(healthQuery, { ...query }, 'query string');
    return this.report.current(q.fresh === 'true');
  }
}
