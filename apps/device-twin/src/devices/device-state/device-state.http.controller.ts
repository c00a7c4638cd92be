import { NotFoundError } from '@fleet/core';
import { Roles } from '@fleet/auth';
import { EVENT_STORE, type EventStore } from '@fleet/event-store';
import { parseBody } from '@fleet/observability';
import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { z } from 'zod';
import { deviceStream } from '../device';
import { TWIN_STORE, type TwinStore } from '../twin/twin';
import { foldTwin, twinDelta, type TwinView } from '../twin/twin-view';

const stateQuery = z
  .object({
    at: z.iso.datetime({ offset: true }).optional(),
    version: z.coerce.number().int().min(1).optional(),
  })
  .strict()
  .refine((q) => (q.at === undefined) !== (q.version === undefined), {
    message: 'give exactly one of at (ISO time) or version',
  });

@Controller('devices')
export class DeviceStateHttpController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(TWIN_STORE) private readonly twins: TwinStore,
  ) {}

  /**
   * The twin as it was at a time or version, rebuilt from the device's events with the same fold
   * as the live read model (connectivity is not historised, so it is absent).
   */
  @Get(':id/state')
  @Roles('admin', 'operator', 'support', 'viewer')
  async state(
    @Param('id') deviceId: string,
    @Query() rawQuery: unknown,
  ): Promise<{ deviceId: string; at: string | null; version: number; twin: TwinView & { delta: object } }> {
    const query = parseBody(stateQuery, rawQuery);
    const at = query.at ? new Date(query.at) : undefined;
    const until = { ...(at ? { at } : {}), ...(query.version ? { version: query.version } : {}) };
    // Long streams: continue from the nearest snapshot instead of folding from the first event.
    const snapshot = await this.twins.snapshotBefore(deviceId, until);
    const from = snapshot?.version ?? 0;
    const events =
      query.version === from
        ? []
        : await this.store.readStream(deviceStream(deviceId), {
            fromRevision: BigInt(from),
            ...(query.version ? { maxCount: query.version - from } : {}),
          });
    if (events.length === 0 && !snapshot)
      throw new NotFoundError(`device ${deviceId} not found`, { deviceId });
    const twin = foldTwin(events, until, snapshot);
    if (!twin) {
      throw new NotFoundError(
        `device ${deviceId} did not exist at ${query.at ?? `version ${query.version}`}`,
        {
          deviceId,
        },
      );
    }
    if (query.version !== undefined && twin.version < query.version) {
      throw new NotFoundError(
        `device ${deviceId} has no version ${query.version} (latest: ${twin.version})`,
        {
          deviceId,
        },
      );
    }
    return {
      deviceId,
      at: at?.toISOString() ?? null,
      version: twin.version,
      twin: { ...twin, delta: twinDelta(twin) },
    };
  }
}
