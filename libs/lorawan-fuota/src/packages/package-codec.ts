import { ValidationError } from '@fleet/core';

/**
 * The LoRaWAN application-layer packages (TS003, TS004, TS005) share one frame shape: on their
 * FPort, a payload is a sequence of commands, each a one-byte CID then fixed fields, little-endian.
 * Requests and answers reuse CIDs, so the direction (downlink or uplink) picks the meaning.
 */

export class ByteReader {
  private offset = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly context: () => string,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(count: number): void {
    if (this.remaining < count)
      throw new ValidationError(`${this.context()}: needs ${count} more bytes, ${this.remaining} left`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  u16(): number {
    return this.u8() | (this.u8() << 8);
  }

  u24(): number {
    return this.u16() + this.u8() * 0x10000;
  }

  u32(): number {
    return this.u16() + this.u16() * 0x10000;
  }

  i32(): number {
    return this.u32() | 0;
  }

  bytesOf(count: number): Uint8Array {
    this.need(count);
    const out = this.bytes.slice(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  rest(): Uint8Array {
    return this.bytesOf(this.remaining);
  }
}

export class ByteWriter {
  private readonly out: number[] = [];

  u8(value: number): this {
    this.out.push(value & 0xff);
    return this;
  }

  u16(value: number): this {
    return this.u8(value).u8(value >>> 8);
  }

  u24(value: number): this {
    return this.u16(value).u8(value >>> 16);
  }

  u32(value: number): this {
    return this.u16(value).u16(value >>> 16);
  }

  bytes(value: Uint8Array): this {
    for (const byte of value) this.out.push(byte);
    return this;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

/** Refuses a field value outside `min..max` (whole numbers), naming the command and field. */
export function field(command: string, name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ValidationError(`${command}.${name} ${value} is not ${min}-${max}`);
  return value;
}

export function fixedBytes(command: string, name: string, value: Uint8Array, length: number): Uint8Array {
  if (value.length !== length)
    throw new ValidationError(`${command}.${name} has ${value.length} bytes, not ${length}`);
  return value;
}

export interface CommandSpec<C extends { readonly type: string }> {
  readonly cid: number;
  readonly type: C['type'];
  encode(command: C, writer: ByteWriter): void;
  decode(reader: ByteReader): C;
}

export interface PackageCodec<Down extends { readonly type: string }, Up extends { readonly type: string }> {
  readonly port: number;
  encodeDownlink(commands: readonly Down[]): Uint8Array;
  decodeDownlink(payload: Uint8Array): Down[];
  encodeUplink(commands: readonly Up[]): Uint8Array;
  decodeUplink(payload: Uint8Array): Up[];
}

/** Builds the encoder and decoder of one package from its commands, one list per direction. */
export function packageCodec<Down extends { readonly type: string }, Up extends { readonly type: string }>(
  name: string,
  port: number,
  downlink: readonly CommandSpec<Down>[],
  uplink: readonly CommandSpec<Up>[],
): PackageCodec<Down, Up> {
  return {
    port,
    encodeDownlink: (commands) => encodeAll(name, 'downlink', downlink, commands),
    decodeDownlink: (payload) => decodeAll(name, 'downlink', downlink, payload),
    encodeUplink: (commands) => encodeAll(name, 'uplink', uplink, commands),
    decodeUplink: (payload) => decodeAll(name, 'uplink', uplink, payload),
  };
}

function encodeAll<C extends { readonly type: string }>(
  name: string,
  direction: string,
  specs: readonly CommandSpec<C>[],
  commands: readonly C[],
): Uint8Array {
  const writer = new ByteWriter();
  for (const command of commands) {
    const spec = specs.find((candidate) => candidate.type === command.type);
    if (!spec) throw new ValidationError(`${name}: ${command.type} is not a ${direction} command`);
    spec.encode(command, writer.u8(spec.cid));
  }
  return writer.toBytes();
}

function decodeAll<C extends { readonly type: string }>(
  name: string,
  direction: string,
  specs: readonly CommandSpec<C>[],
  payload: Uint8Array,
): C[] {
  const commands: C[] = [];
  let current = 'payload';
  const reader = new ByteReader(payload, () => `${name} ${direction} ${current}`);
  while (reader.remaining > 0) {
    const cid = reader.u8();
    const spec = specs.find((candidate) => candidate.cid === cid);
    // The packages say to stop at an unknown CID: what follows cannot be delimited.
    if (!spec)
      throw new ValidationError(
        `${name} ${direction}: unknown CID 0x${cid.toString(16).padStart(2, '0')} after ${commands.length} commands`,
      );
    current = spec.type;
    commands.push(spec.decode(reader));
  }
  return commands;
}
