export { applyDeviceEvent, maxInFlightOf, type DeviceEventFact, type DeviceFacts } from '@fleet/contracts';

/** A device talked at `at`: sleepy devices listen for a moment after each uplink. */
export interface WakeUp {
  readonly deviceId: string;
  readonly at: string;
  readonly batteryPercent: number | null;
  readonly firmwareUpdateState: number | null;
}

/** LwM2M /5/0/3: the firmware update state a device reported in a reading. */
export const FIRMWARE_UPDATE_STATE_PATH = '/5/0/3';
