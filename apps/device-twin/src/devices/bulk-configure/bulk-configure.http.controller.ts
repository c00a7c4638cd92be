import { randomUUID } from 'node:crypto';
import { FleetError, mapConcurrently, type Actor } from '@fleet/core';
import { CurrentActor, Roles } from '@fleet/auth';
import { parseBody } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { z } from 'zod';
import { desiredConfiguration, flattenDesired } from '../configure-device/configure-device.request';
import { DeviceCommandHandler } from '../device-commands/device-command.handler';
import { reason } from '../http/http-conventions';
import { identifier } from '../provision-device/provision-device.request';
import { deviceFilterSchema, GROUP_NAME_PATTERN } from '../search-devices/device-query';
import { DeviceSearch } from '../search-devices/device-search';

const bulkConfigureRequest = z
  .object({
    filter: deviceFilterSchema.optional().describe('search filters, as in GET /devices'),
    group: z.string().regex(GROUP_NAME_PATTERN).optional().describe('a static or dynamic group'),
    deviceIds: z.array(identifier).min(1).max(100_000).optional(),
    desired: desiredConfiguration,
    reason,
  })
  .strict()
  .refine((r) => r.filter !== undefined || r.group !== undefined || r.deviceIds !== undefined, {
    message: 'select devices with filter, group or deviceIds',
  });

const CONCURRENCY = 16;
const MAX_FAILURES_LISTED = 1_000;

@Controller('devices')
export class BulkConfigureHttpController {
  constructor(
    private readonly commands: DeviceCommandHandler,
    private readonly search: DeviceSearch,
  ) {}

  /**
   * Changes the desired configuration of every selected device: one audited change per device,
   * all carrying the job id (in the event and as correlation id). Devices already configured so
   * are counted unchanged; decommissioned or unsuitable ones are listed with the reason.
   */
  @Post('bulk-configure')
  @HttpCode(200)
  @Roles('admin', 'operator')
  async configure(@Body() body: unknown, @CurrentActor() actor: Actor) {
    const request = parseBody(bulkConfigureRequest, body);
    const jobId = `bulk-${randomUUID()}`;
    const changes = flattenDesired(request.desired);
    const metadata = () => commandMetadata({ actor, reason: request.reason, correlationId: jobId });
    let matched = 0;
    let changed = 0;
    let unchanged = 0;
    const failed: { deviceId: string; error: string }[] = [];
    let failures = 0;
    for await (const ids of this.selected(request)) {
      matched += ids.length;
      await mapConcurrently(ids, CONCURRENCY, async (deviceId) => {
        try {
          const outcome = await this.commands.execute(
            { type: 'ChangeDesiredConfiguration', deviceId, changes, jobId },
            metadata(),
          );
          if (outcome.events.length > 0) changed++;
          else unchanged++;
        } catch (error) {
          if (!(error instanceof FleetError)) throw error;
          failures++;
          if (failed.length < MAX_FAILURES_LISTED) failed.push({ deviceId, error: error.message });
        }
      });
    }
    return { jobId, matched, changed, unchanged, failed: failures, failures: failed };
  }

  private async *selected(request: z.infer<typeof bulkConfigureRequest>): AsyncGenerator<string[]> {
    if (request.deviceIds) {
      for (let i = 0; i < request.deviceIds.length; i += 1_000) yield request.deviceIds.slice(i, i + 1_000);
      return;
    }
    yield* this.search.ids({ filter: request.filter ?? {}, group: request.group ?? null, at: null });
  }
}
