import { DependencyUnavailableError } from '@fleet/core';
import type { DeviceBrokerAccess } from '@fleet/messaging';
import type { DeviceStatus } from '../device';
import type { IssuedCredential } from './credential-issuer';

/** Devices in these states may talk to the broker; the others are disabled there. */
export const mayConnect = (status: DeviceStatus): boolean => status === 'active' || status === 'quarantined';

/**
 * Hands a newly issued secret to the broker. This is the only moment the plaintext exists (the
 * store keeps a hash), and Mosquitto 2.0's dynamic security accepts passwords only in plaintext,
 * so device-twin registers it before recording the event; see ADR 008. Lifecycle changes later
 * reach the broker through ingestion, from the device events.
 */
export async function registerWithBroker(
  broker: DeviceBrokerAccess | undefined,
  deviceId: string,
  issued: IssuedCredential,
  enabled: boolean,
): Promise<void> {
  if (!broker) return;
  try {
    if (issued.oneTime.secret) await broker.registerDevice(deviceId, issued.oneTime.secret, enabled);
    else await broker.removeDevice(deviceId); // x509 or LoRaWAN: no password login
  } catch (error) {
    throw new DependencyUnavailableError(
      `the MQTT broker did not take the device's credentials (${(error as Error).message}); nothing was recorded, retry`,
      { deviceId },
    );
  }
}
