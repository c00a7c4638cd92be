import { ValidationError } from '@fleet/core';
import { quote, rejected } from '../errors';
import type { ResolvedRecord } from '../senml';
import type { ApplicationCodec } from './application-codec';

const NAME = 'fleetwise-compact-v1';
const MEASUREMENTS_PORT = 1;
const STATE_PORT = 2;
/** Battery (1 byte), temperature (int16), energy (uint32), all big-endian. */
const MEASUREMENTS_BYTES = 7;

const BATTERY = '/3/0/9';
const TEMPERATURE = '/3303/0/5700';
const ENERGY = '/3331/0/5805';
const FIRMWARE = '/3/0/3';

/**
 * Fleetwise's own fixed-layout LoRaWAN payload (models `FW-LORA*`), 7 bytes instead of a ~60-byte
 * SenML pack so it fits SF12 frames:
 * - fPort 1: battery % (uint8), temperature in 0.01 °C (int16 BE), cumulative energy Wh (uint32 BE)
 * - fPort 2: firmware version, 1-64 printable ASCII characters
 * Values are not range-checked here: the registry does that for every transport alike.
 */
export const fleetwiseCompactV1: ApplicationCodec = {
  name: NAME,
  decode(fPort, bytes) {
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    if (fPort === MEASUREMENTS_PORT) return decodeMeasurements(data);
    if (fPort === STATE_PORT) return [record(FIRMWARE, decodeFirmwareVersion(data), null)];
    throw rejected('malformed', `${NAME}: unknown fPort ${fPort} (1 measurements, 2 state)`);
  },
  encode(records) {
    const value = (path: string) => records.find((r) => r.path === path)?.value;
    const firmware = value(FIRMWARE);
    if (typeof firmware === 'string') return { fPort: STATE_PORT, bytes: encodeFirmwareVersion(firmware) };
    return {
      fPort: MEASUREMENTS_PORT,
      bytes: encodeMeasurements(value(BATTERY), value(TEMPERATURE), value(ENERGY)),
    };
  },
};

function decodeMeasurements(data: Buffer): ResolvedRecord[] {
  if (data.length !== MEASUREMENTS_BYTES) {
    throw rejected(
      'malformed',
      `${NAME}: fPort 1 carries ${MEASUREMENTS_BYTES} bytes (battery, temperature, energy), got ${data.length}`,
    );
  }
  return [
    record(BATTERY, data.readUInt8(0), '%'),
    record(TEMPERATURE, data.readInt16BE(1) / 100, 'Cel'),
    record(ENERGY, data.readUInt32BE(3), 'Wh'),
  ];
}

function decodeFirmwareVersion(data: Buffer): string {
  if (data.length < 1 || data.length > 64) {
    throw rejected(
      'malformed',
      `${NAME}: fPort 2 carries a firmware version of 1-64 bytes, got ${data.length}`,
    );
  }
  const text = data.toString('latin1');
  if (!/^[\x20-\x7e]+$/.test(text))
    throw rejected('malformed', `${NAME}: firmware version ${quote(text)} is not printable ASCII`);
  return text;
}

function encodeMeasurements(battery: unknown, temperature: unknown, energy: unknown): Buffer {
  const bytes = Buffer.alloc(MEASUREMENTS_BYTES);
  bytes.writeUInt8(whole(battery, 0, 0xff, `${BATTERY} battery %`), 0);
  bytes.writeInt16BE(
    whole(
      typeof temperature === 'number' ? temperature * 100 : temperature,
      -0x8000,
      0x7fff,
      `${TEMPERATURE} temperature × 100`,
    ),
    1,
  );
  bytes.writeUInt32BE(whole(energy, 0, 0xffff_ffff, `${ENERGY} energy Wh`), 3);
  return bytes;
}

function encodeFirmwareVersion(version: string): Buffer {
  if (!/^[\x20-\x7e]{1,64}$/.test(version))
    throw new ValidationError(`${NAME}: firmware version must be 1-64 printable ASCII characters`);
  return Buffer.from(version, 'latin1');
}

/** Rounds to the field's resolution; refuses what the field cannot hold. */
function whole(value: unknown, min: number, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ValidationError(`${NAME}: ${what} is missing or not a number`);
  const rounded = Math.round(value);
  if (rounded < min || rounded > max)
    throw new ValidationError(`${NAME}: ${what} ${value} does not fit ${min}..${max}`);
  return rounded;
}

function record(path: string, value: number | string, unit: string | null): ResolvedRecord {
  return { path, timeMs: null, value, unit };
}
