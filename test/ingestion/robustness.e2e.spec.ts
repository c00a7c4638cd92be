import { encodeSenml } from '@fleet/device-protocol';
import type { MqttClient } from 'mqtt';
import { IngestionHarness, type ProvisionedDevice } from '../support/ingestion-harness';

const up = (id: string) => `fleet/v1/devices/${id}/up/telemetry`;
/** A valid uplink whose energy reading carries its sequence number, so each one can be found. */
const valid = (seq: number) =>
  encodeSenml(
    [
      { path: '/3/0/9', value: 90 },
      { path: '/3331/0/5805', value: seq },
    ],
    seq % 2 === 0 ? 'json' : 'cbor',
  );
const MALFORMED: readonly ((seq: number) => Buffer)[] = [
  (seq) => Buffer.from(`[{"bn":"/3/0/","n":"9","v":${seq}`), // truncated JSON
  () => Buffer.from([0x9f, 0xff, 0xff, 0x1c, 0x00]), // invalid CBOR
  (seq) => Buffer.from(JSON.stringify([{ n: '/9999/0/1', v: seq }])), // unknown path
  () => Buffer.from(JSON.stringify([{ n: '/3/0/9', v: 140 }])), // out of range
  () => Buffer.from(JSON.stringify([{ n: '/3/0/9', vs: 'full' }])), // wrong type
  () => Buffer.alloc(9_000, 0x5b), // oversize
];
const sequenceOf = (readings: { path: string; numberValue: number | null }[]) =>
  readings.find((r) => r.path === '/3331/0/5805')?.numberValue;

async function publishAll(
  client: MqttClient,
  topic: string,
  payloads: readonly Buffer[],
  acked: Set<number>,
  seqs: readonly number[],
) {
  // Several in flight at once, as a real device library would; a PUBACK means the broker has it.
  const window = 20;
  for (let i = 0; i < payloads.length; i += window) {
    await Promise.all(
      payloads.slice(i, i + window).map((payload, j) =>
        client.publishAsync(topic, payload, { qos: 1 }).then(
          () => acked.add(seqs[i + j]!),
          () => undefined,
        ),
      ),
    );
  }
}

describe('ingestion under bad input and crashes', () => {
  const harness = new IngestionHarness();
  let devices: ProvisionedDevice[];

  beforeAll(async () => {
    await harness.start();
    devices = await harness.provision(20);
  });
  afterAll(() => harness.stop());

  it('dead-letters 10,000 malformed payloads with their reasons, keeps every valid one, never crashes', async () => {
    const perDevice = 500;
    const acked = new Map<string, Set<number>>();
    await Promise.all(
      devices.map(async (device) => {
        const client = await harness.connectDevice(device);
        const seqs = Array.from({ length: perDevice * 2 }, (_, i) => i);
        // Even sequence numbers are valid, odd ones malformed: the two kinds interleave on one session.
        const payloads = seqs.map((seq) =>
          seq % 2 === 0 ? valid(seq) : MALFORMED[(seq >> 1) % MALFORMED.length]!(seq),
        );
        const done = new Set<number>();
        acked.set(device.deviceId, done);
        await publishAll(client, up(device.deviceId), payloads, done, seqs);
        await client.endAsync();
      }),
    );
    const ours = new Set(devices.map((d) => d.deviceId));
    const validSent = devices.length * perDevice;
    await harness.until(
      () =>
        harness.deadLetters.filter((d) => ours.has(d.key)).length >= validSent &&
        devices.every((d) => (harness.telemetry.get(d.deviceId)?.length ?? 0) >= perDevice),
      120_000,
      'all dead letters and telemetry',
    );
    const deadLetters = harness.deadLetters.filter((d) => ours.has(d.key));
    expect(deadLetters).toHaveLength(10_000);
    expect(deadLetters.every((d) => d.reason.length > 0 && d.code.length > 0 && d.value.length > 0)).toBe(
      true,
    );
    expect(new Set(deadLetters.map((d) => d.code))).toEqual(
      new Set(['malformed', 'unknown-path', 'out-of-range', 'wrong-type', 'too-large']),
    );
    for (const device of devices) {
      const arrived = new Set(harness.telemetry.get(device.deviceId)!.map((t) => sequenceOf(t.readings)));
      const expected = [...acked.get(device.deviceId)!].filter((seq) => seq % 2 === 0);
      expect(expected).toHaveLength(perDevice);
      expect(expected.filter((seq) => !arrived.has(seq))).toEqual([]);
    }
    const ready = await fetch(`${harness.ingestion.url}/health/ready`);
    expect(ready.status).toBe(200);
  });

  it('after kill -9 mid-stream loses no message the broker acknowledged', async () => {
    const perDevice = 300;
    const acked = new Map<string, Set<number>>();
    const start = 10_000;
    const streams = devices.map(async (device, index) => {
      const client = await harness.connectDevice(device);
      const seqs = Array.from({ length: perDevice }, (_, i) => start + i);
      const done = new Set<number>();
      acked.set(device.deviceId, done);
      for (const seq of seqs) {
        await client.publishAsync(up(device.deviceId), valid(seq), { qos: 1 }).then(
          () => done.add(seq),
          () => undefined,
        );
        if (index % 2 === 0) await new Promise((r) => setTimeout(r, 5)); // some slow, some fast
      }
      await client.endAsync();
    });
    await harness.until(
      () =>
        devices.some((d) =>
          (harness.telemetry.get(d.deviceId) ?? []).some((t) => (sequenceOf(t.readings) ?? 0) >= start + 50),
        ),
      30_000,
      'the stream to be under way',
    );
    expect(await harness.ingestion.stop('SIGKILL')).toBeNull();
    await new Promise((r) => setTimeout(r, 1_000)); // the broker keeps taking (and acknowledging) uplinks meanwhile
    await harness.ingestion.start();
    await Promise.all(streams);

    const missing = () =>
      devices.flatMap((d) => {
        const arrived = new Set((harness.telemetry.get(d.deviceId) ?? []).map((t) => sequenceOf(t.readings)));
        return [...acked.get(d.deviceId)!]
          .filter((seq) => !arrived.has(seq))
          .map((seq) => `${d.deviceId}#${seq}`);
      });
    await harness
      .until(() => missing().length === 0, 60_000, 'every acknowledged message')
      .catch(() => undefined);
    expect(missing()).toEqual([]);
    expect([...acked.values()].reduce((n, s) => n + s.size, 0)).toBe(devices.length * perDevice);
  });
});
