import { assertNever } from '@fleet/core';

/** Identity and descriptive facts of a device, as recorded when it was provisioned. */
export interface DeviceProvisionedData {
  readonly deviceId: string;
  readonly serial: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly hardwareRevision: string | null;
  readonly firmwareVersion: string | null;
  readonly tags: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
}

/** Facts about a device; type strings never change once published. */
export type DeviceEvent = { readonly type: 'DeviceProvisioned'; readonly data: DeviceProvisionedData };

export type DeviceState =
  { readonly status: 'unprovisioned' } | ({ readonly status: 'active' } & DeviceProvisionedData);

export const initialDeviceState: DeviceState = { status: 'unprovisioned' };

export function evolveDevice(state: DeviceState, event: DeviceEvent): DeviceState {
  switch (event.type) {
    case 'DeviceProvisioned':
      return { status: 'active', ...event.data };
    default:
      return assertNever(event.type);
  }
}

export const deviceStream = (deviceId: string): string => `device-${deviceId}`;
