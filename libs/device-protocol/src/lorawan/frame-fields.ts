// Field codecs shared by the LoRaWAN command and answer frames (docs/device-protocol.md, "LoRaWAN commands").
import { ValidationError } from '@fleet/core';
import { rejected } from '../errors';
import type { ResourceValue } from '../lwm2m-resources';

/** Value type bytes: what follows is an int32, a float64, a boolean byte or a length-prefixed UTF-8 string. */
export const VALUE_TYPES = { int32: 1, float64: 2, boolean: 3, string: 4 } as const;
const INT32 = { min: -2_147_483_648, max: 2_147_483_647 };
const MAX_ID = 65534;

/** Appends big-endian fields; the encoders throw ValidationError (the platform built a bad request). */
export class FrameWriter {
  private readonly parts: Buffer[] = [];

  u8(value: number): this {
    this.parts.push(Buffer.from([value]));
    return this;
  }

  u16(value: number): this {
    const bytes = Buffer.alloc(2);
    bytes.writeUInt16BE(value);
    this.parts.push(bytes);
    return this;
  }

  u32(value: number): this {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(value);
    this.parts.push(bytes);
    return this;
  }

  /** 1 byte of length, then the bytes (at most 255). */
  shortBytes(what: string, bytes: Buffer): this {
    if (bytes.length > 255)
      throw new ValidationError(`${what}: ${bytes.length} bytes exceed the 255 a frame carries`);
    return this.u8(bytes.length).raw(bytes);
  }

  raw(bytes: Buffer): this {
    this.parts.push(bytes);
    return this;
  }

  /** A levels byte (1-4), then each id as uint16. */
  path(path: string): this {
    const ids = path.split('/').slice(1);
    const valid =
      path.startsWith('/') &&
      ids.length >= 1 &&
      ids.length <= 4 &&
      ids.every((id) => /^(?:0|[1-9][0-9]{0,4})$/.test(id) && Number(id) <= MAX_ID);
    if (!valid) throw new ValidationError(`${JSON.stringify(path)} is not an LwM2M path`);
    this.u8(ids.length);
    for (const id of ids) this.u16(Number(id));
    return this;
  }

  /** Integers that fit int32 take 4 bytes; any other finite number 8. */
  value(what: string, value: ResourceValue): this {
    if (typeof value === 'boolean') return this.u8(VALUE_TYPES.boolean).u8(value ? 1 : 0);
    if (typeof value === 'string')
      return this.u8(VALUE_TYPES.string).shortBytes(what, Buffer.from(value, 'utf8'));
    if (!Number.isFinite(value)) throw new ValidationError(`${what}: ${value} is not a finite number`);
    if (Number.isInteger(value) && value >= INT32.min && value <= INT32.max) {
      const bytes = Buffer.alloc(4);
      bytes.writeInt32BE(value);
      return this.u8(VALUE_TYPES.int32).raw(bytes);
    }
    const bytes = Buffer.alloc(8);
    bytes.writeDoubleBE(value);
    return this.u8(VALUE_TYPES.float64).raw(bytes);
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Reads big-endian fields; a short or inconsistent frame is a `malformed` rejection. */
export class FrameReader {
  private offset = 0;
  private readonly data: Buffer;

  constructor(
    bytes: Uint8Array,
    private readonly frame: string,
  ) {
    this.data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  u8(what: string): number {
    return this.take(what, 1).readUInt8();
  }

  u16(what: string): number {
    return this.take(what, 2).readUInt16BE();
  }

  u32(what: string): number {
    return this.take(what, 4).readUInt32BE();
  }

  shortBytes(what: string): Buffer {
    return this.take(what, this.u8(`${what} length`));
  }

  /** Strict UTF-8: a frame whose text does not decode is refused, not patched with U+FFFD. */
  shortText(what: string): string {
    const bytes = this.shortBytes(what);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw this.malformed(`${what} is not valid UTF-8`);
    }
  }

  path(what: string, levels: { min: number; max: number } = { min: 1, max: 4 }): string {
    const count = this.u8(`${what} levels`);
    if (count < levels.min || count > levels.max)
      throw this.malformed(`${what} has ${count} levels (expected ${levels.min}-${levels.max})`);
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.u16(what);
      if (id > MAX_ID) throw this.malformed(`${what}: id ${id} is reserved`);
      ids.push(id);
    }
    return `/${ids.join('/')}`;
  }

  value(what: string): ResourceValue {
    const type = this.u8(`${what} type`);
    if (type === VALUE_TYPES.int32) return this.take(what, 4).readInt32BE();
    if (type === VALUE_TYPES.float64) {
      const value = this.take(what, 8).readDoubleBE();
      if (!Number.isFinite(value)) throw this.malformed(`${what} is not a finite number`);
      return value;
    }
    if (type === VALUE_TYPES.boolean) {
      const flag = this.u8(what);
      if (flag > 1) throw this.malformed(`${what}: boolean byte ${flag} is not 0 or 1`);
      return flag === 1;
    }
    if (type === VALUE_TYPES.string) return this.shortText(what);
    throw this.malformed(`${what}: unknown value type ${type}`);
  }

  number(what: string): number {
    const value = this.value(what);
    if (typeof value !== 'number') throw this.malformed(`${what} must be a number`);
    return value;
  }

  /** Nothing may follow the last field: trailing bytes mean the sender meant another layout. */
  end(): void {
    const left = this.data.length - this.offset;
    if (left > 0) throw this.malformed(`${left} unexpected byte${left === 1 ? '' : 's'} at the end`);
  }

  malformed(reason: string) {
    return rejected('malformed', `${this.frame}: ${reason}`);
  }

  private take(what: string, length: number): Buffer {
    if (this.offset + length > this.data.length) throw this.malformed(`ends inside ${what}`);
    const slice = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

export function checkTag(tag: number): void {
  if (!(Number.isInteger(tag) && tag >= 0 && tag <= 0xffff))
    throw new ValidationError(`tag ${tag} is not 0-65535`);
}
