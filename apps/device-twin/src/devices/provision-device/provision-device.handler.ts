import { randomUUID } from 'node:crypto';
import type { CommandMetadata } from '@fleet/core';
import { EVENT_STORE, handleCommand, type EventStore } from '@fleet/event-store';
import { Inject, Injectable } from '@nestjs/common';
import { deviceStream, evolveDevice, initialDeviceState } from '../device';
import { decideDevice } from '../device.decide';
import type { ProvisionDeviceRequest } from './provision-device.request';

const deviceDecider = { decide: decideDevice, evolve: evolveDevice, initialState: initialDeviceState };

@Injectable()
export class ProvisionDeviceHandler {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Appends DeviceProvisioned to a new stream; @returns the device id and the twin version it leads to. */
  async handle(
    request: ProvisionDeviceRequest,
    metadata: CommandMetadata,
  ): Promise<{ deviceId: string; version: number }> {
    const deviceId = request.deviceId ?? randomUUID();
    const { result } = await handleCommand(
      this.store,
      deviceStream(deviceId),
      deviceDecider,
      {
        type: 'ProvisionDevice',
        data: {
          deviceId,
          serial: request.serial,
          manufacturer: request.manufacturer,
          model: request.model,
          hardwareRevision: request.hardwareRevision ?? null,
          firmwareVersion: request.firmwareVersion ?? null,
          tags: request.tags,
          attributes: request.attributes,
        },
      },
      metadata,
    );
    return { deviceId, version: Number(result?.nextExpectedRevision ?? 0n) + 1 };
  }
}
