/**
 * What the MQTT broker lets a device do: the port behind which the broker's own access control
 * sits (Mosquitto's dynamic security here; EMQX or HiveMQ would sit behind HTTP hooks instead).
 * Every method is idempotent: device events are delivered at least once.
 */
export interface DeviceBrokerAccess {
  /** Lets the device log in as itself (username and client id = device id) with this password. */
  registerDevice(deviceId: string, password: string, enabled: boolean): Promise<void>;
  /** Disabling refuses new connections and closes the live session. */
  setDeviceEnabled(deviceId: string, enabled: boolean): Promise<void>;
  /** Forgets the device (decommissioned): its credentials no longer exist on the broker. */
  removeDevice(deviceId: string): Promise<void>;
}

export const DEVICE_BROKER_ACCESS = Symbol('DEVICE_BROKER_ACCESS');
