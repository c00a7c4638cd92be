import { randomUUID } from 'node:crypto';
import { SchemaCatalogue } from '@fleet/contracts';
import { mapConcurrently } from '@fleet/core';
import { CompressionTypes, Partitioners, type Kafka } from 'kafkajs';

const writer = SchemaCatalogue.load().latest('fleet.telemetry.DeviceTelemetry');
/** Avro single-object encoding header: marker, then the writer schema's fingerprint. */
const header = Buffer.concat([Buffer.from([0xc3, 0x01]), writer.fingerprint]);

export interface Uplink {
  readonly deviceId: string;
  readonly receivedAt: number;
  readonly batteryPercent: number;
  readonly rssi: number;
  readonly snr: number;
  readonly airtimeMs: number;
  readonly temperature: number;
}

/**
 * An uplink as ingestion publishes it (Avro single-object encoding of DeviceTelemetry): the bytes
 * AvroCodec.encode writes, without its validation pass, so that producing a million of them does
 * not take longer than the service needs to read them.
 */
export function encode(u: Uplink): { key: string; value: Buffer } {
  return {
    key: u.deviceId,
    value: avro({
      messageId: randomUUID(),
      deviceId: u.deviceId,
      receivedAt: u.receivedAt,
      measuredAt: null,
      source: 'chirpstack',
      batteryPercent: u.batteryPercent,
      rssi: u.rssi,
      snr: u.snr,
      frameCounter: null,
      dataRate: 'DR5',
      airtimeMs: u.airtimeMs,
      firmwareVersion: null,
      reportedConfiguration: {},
      readings: [
        {
          path: '/3303/0/5700',
          time: null,
          numberValue: u.temperature,
          stringValue: null,
          booleanValue: null,
          unit: 'Cel',
        },
        {
          path: '/3304/0/5700',
          time: null,
          numberValue: 40,
          stringValue: null,
          booleanValue: null,
          unit: '%RH',
        },
      ],
    }),
  };
}

const avro = (value: object): Buffer => Buffer.concat([header, writer.type.toBuffer(value)]);

/** A healthy reading of device `d`; one device in a hundred has a low battery. */
export function uplink(deviceId: string, d: number, receivedAt: number): Uplink {
  return {
    deviceId,
    receivedAt,
    batteryPercent: d % 100 === 0 ? 10 : 40 + (d % 60),
    rssi: -90 - (d % 20),
    snr: 5 - (d % 10),
    airtimeMs: 60 + (d % 40),
    temperature: 15 + (d % 10),
  };
}

/** Publishes `count` messages made by `make(i)` as fast as the broker takes them. */
export async function produce(
  kafka: Kafka,
  topic: string,
  count: number,
  make: (i: number) => { key: string; value: Buffer },
) {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const chunk = 10_000;
  const chunks = Array.from({ length: Math.ceil(count / chunk) }, (_, c) => c);
  try {
    await mapConcurrently(chunks, 4, async (c) => {
      const messages = [];
      for (let i = c * chunk; i < Math.min(count, (c + 1) * chunk); i++) messages.push(make(i));
      await producer.send({ topic, acks: 1, compression: CompressionTypes.None, messages });
    });
  } finally {
    await producer.disconnect();
  }
}
