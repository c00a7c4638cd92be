import { PG_POOL } from '@fleet/platform';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import type { DeviceView } from '../../commands/gates';
import { ensureDispatcherSchema } from '../../commands/store/dispatcher-tables';
import { DeviceStore } from './device-store';

/** The dispatcher's devices (see DeviceFeeds for how they are kept up to date); creates the tables at start. */
@Injectable()
export class DeviceDirectory implements OnModuleInit {
  readonly store: DeviceStore;

  constructor(@Inject(PG_POOL) private readonly pool: Pool) {
    this.store = new DeviceStore(pool);
  }

  onModuleInit(): Promise<void> {
    return ensureDispatcherSchema(this.pool);
  }

  find(deviceId: string): Promise<DeviceView | undefined> {
    return this.store.find(deviceId);
  }

  findMany(deviceIds: readonly string[]): Promise<Map<string, DeviceView>> {
    return this.store.findMany(deviceIds);
  }
}
