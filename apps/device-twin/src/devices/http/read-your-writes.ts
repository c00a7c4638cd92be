import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { DEVICE_TWIN_CONFIG, type DeviceTwinConfig } from '../../config';
import { TwinProjection } from '../twin/twin-projection';
import { TWIN_STORE, type DeviceTwin, type TwinStore } from '../twin/twin';
import { etag } from './http-conventions';

/** Lets a write answer with the twin that includes it, or 202 when the projection lags. */
@Injectable()
export class ReadYourWrites {
  constructor(
    private readonly projection: TwinProjection,
    @Inject(TWIN_STORE) private readonly twins: TwinStore,
    @Inject(DEVICE_TWIN_CONFIG) private readonly config: DeviceTwinConfig,
  ) {}

  async twinAt(
    response: Response,
    deviceId: string,
    version: number,
  ): Promise<DeviceTwin | { deviceId: string; version: number; status: 'accepted' }> {
    response.setHeader('ETag', etag(version));
    if (await this.projection.waitFor(deviceId, version, this.config.READ_YOUR_WRITES_MS)) {
      const twin = await this.twins.find(deviceId);
      if (twin) return twin;
    }
    response.status(202);
    return { deviceId, version, status: 'accepted' };
  }
}
