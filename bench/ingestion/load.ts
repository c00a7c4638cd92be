import { encodeSenml } from '@fleet/device-protocol';
import { connectAsync, type MqttClient } from 'mqtt';

export interface LoadDevice {
  readonly deviceId: string;
  readonly secret: string;
}

/** Devices connected over MQTT, each its own session and credentials, as the simulator runs them. */
export async function connectDevices(url: string, devices: readonly LoadDevice[]): Promise<MqttClient[]> {
  const clients: MqttClient[] = [];
  for (let i = 0; i < devices.length; i += 50) {
    clients.push(
      ...(await Promise.all(
        devices.slice(i, i + 50).map(async (d) => {
          for (let attempt = 0; ; attempt++) {
            try {
              return await connectAsync(url, {
                username: d.deviceId,
                password: d.secret,
                clientId: d.deviceId,
                reconnectPeriod: 0,
                protocolVersion: 5,
              });
            } catch (error) {
              if (attempt > 50) throw error;
              await new Promise((r) => setTimeout(r, 200));
            }
          }
        }),
      )),
    );
  }
  return clients;
}

/**
 * A typical telemetry uplink (battery, RSSI, temperature, energy) whose SenML base time is the
 * moment it is sent, so the receiving end can tell the latency from `measuredAt`.
 */
export function telemetryPayload(sentAtMs: number, seq: number): Buffer {
  return encodeSenml(
    [
      { path: '/3/0/9', value: 80, timeMs: sentAtMs },
      { path: '/4/0/2', value: -97, timeMs: sentAtMs },
      { path: '/3303/0/5700', value: 21.5, unit: 'Cel', timeMs: sentAtMs },
      { path: '/3331/0/5805', value: seq, unit: 'Wh', timeMs: sentAtMs },
    ],
    'json',
  );
}

export interface LoadResult {
  readonly sent: number;
  readonly seconds: number;
}

/**
 * Publishes QoS 1 telemetry from every device for `seconds`: at most `window` unacknowledged per
 * device (closed loop, as fast as the broker acknowledges), or at `ratePerSecond` in total (open
 * loop, for latency at a load the pipeline can sustain).
 */
export async function runLoad(
  clients: readonly MqttClient[],
  options: { seconds: number; window: number; ratePerSecond?: number },
): Promise<LoadResult> {
  const deadline = Date.now() + options.seconds * 1000;
  let sent = 0;
  let seq = 0;
  const started = Date.now();
  const perDeviceInterval = options.ratePerSecond ? (clients.length / options.ratePerSecond) * 1000 : 0;
  await Promise.all(
    clients.map(async (client, index) => {
      const topic = `fleet/v1/devices/${client.options.clientId ?? ''}/up/telemetry`;
      let inFlight = 0;
      let next = started + (perDeviceInterval * index) / clients.length;
      while (Date.now() < deadline) {
        if (perDeviceInterval > 0) {
          const wait = next - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          next += perDeviceInterval;
        }
        while (inFlight >= options.window) await new Promise((r) => setImmediate(r));
        inFlight++;
        sent++;
        client.publish(topic, telemetryPayload(Date.now(), seq++), { qos: 1 }, () => inFlight--);
        if (perDeviceInterval === 0 && sent % 64 === 0) await new Promise((r) => setImmediate(r));
      }
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 5));
    }),
  );
  return { sent, seconds: (Date.now() - started) / 1000 };
}

/** Percentile of a sorted array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
