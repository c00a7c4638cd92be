import type { DeviceFacts } from '@fleet/contracts';
import { Injectable } from '@nestjs/common';
import { DeviceFeeds } from '../../devices/directory/device-feeds';

/** Which devices a session may name, by id or DevEUI: the service's one device view (DeviceFeeds). */
@Injectable()
export class MulticastDeviceDirectory {
  constructor(private readonly feeds: DeviceFeeds) {}

  find(refs: readonly string[]): Promise<Map<string, DeviceFacts>> {
    return this.feeds.store.findByIdOrDevEui(refs);
  }
}
