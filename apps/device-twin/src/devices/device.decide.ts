import { assertNever, ConflictError } from '@fleet/core';
import type { DeviceEvent, DeviceProvisionedData, DeviceState } from './device';

export type ProvisionDevice = { readonly type: 'ProvisionDevice'; readonly data: DeviceProvisionedData };

export type DeviceCommand = ProvisionDevice;

/** Decides which facts a command produces from the device's current state; pure. */
export function decideDevice(command: DeviceCommand, state: DeviceState): DeviceEvent[] {
  switch (command.type) {
    case 'ProvisionDevice':
      if (state.status !== 'unprovisioned') {
        throw new ConflictError(`device ${command.data.deviceId} is already provisioned`, {
          deviceId: command.data.deviceId,
        });
      }
      return [{ type: 'DeviceProvisioned', data: command.data }];
    default:
      return assertNever(command.type);
  }
}
