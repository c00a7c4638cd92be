import {
  decodeNetworkServerUplink,
  UplinkRejectedError,
  type NetworkServerUplink,
} from '@fleet/device-protocol';
import {
  CLOCK_SYNC_PORT,
  clockSync,
  FRAGMENTATION_PORT,
  fragmentationV1,
  MULTICAST_SETUP_PORT,
  multicastSetup,
} from '@fleet/lorawan-fuota';
import type { DeviceUplink } from './multicast-session.decide';

const FIRMWARE_VERSION_PATH = '/3/0/3';

/**
 * What a session device's uplink tells the session: package answers on FPorts 200-202, or a
 * firmware version report (`/3/0/3` in the model's codec, as the device sends when it starts).
 * Undefined for anything else (a measurement).
 * @throws ValidationError for a package frame that does not decode (the device's bug: dropped, logged)
 */
export function deviceUplinkOf(uplink: NetworkServerUplink, model: string): DeviceUplink | undefined {
  const bytes = uplink.frmPayload;
  switch (uplink.fPort) {
    case CLOCK_SYNC_PORT:
      return { kind: 'clock-sync', commands: clockSync.decodeUplink(bytes) };
    case MULTICAST_SETUP_PORT:
      return { kind: 'multicast-setup', commands: multicastSetup.decodeUplink(bytes) };
    case FRAGMENTATION_PORT:
      return { kind: 'fragmentation', commands: fragmentationV1.decodeUplink(bytes) };
    default:
      return firmwareReport(uplink, model);
  }
}

function firmwareReport(uplink: NetworkServerUplink, model: string): DeviceUplink | undefined {
  try {
    const version = decodeNetworkServerUplink(uplink, model).find(
      (r) => r.path === FIRMWARE_VERSION_PATH,
    )?.value;
    return typeof version === 'string' ? { kind: 'firmware-version', version } : undefined;
  } catch (error) {
    // Ingestion dead-letters what does not decode; here it is simply not a version report.
    if (error instanceof UplinkRejectedError) return undefined;
    throw error;
  }
}
