import type { Resolver } from 'avsc';
import type { SchemaCatalogue, SchemaVersion } from './schema-catalogue';

/** Marker of Avro single-object encoding (spec: "Single object encoding"). */
const MAGIC = Buffer.from([0xc3, 0x01]);
const HEADER_LENGTH = MAGIC.length + 8;

/** The bytes could not be decoded with any schema we know: never retriable, dead-letter them. */
/** The `content-type` header of a record whose value is Avro single-object encoded. */
export const AVRO_CONTENT_TYPE = 'application/vnd.apache.avro+binary; encoding=single-object';

export class UndecodableMessageError extends Error {
  override readonly name = 'UndecodableMessageError';
}

export interface Decoded<T = unknown> {
  /** Schema the reader resolved to: the latest version of the writer's schema name. */
  readonly schema: string;
  readonly writerVersion: number;
  readonly value: T;
}

/**
 * Avro single-object encoding: 2 marker bytes, the writer schema's 8-byte CRC-64-AVRO fingerprint,
 * then the binary body. Writers always use the latest version of a schema; readers resolve whatever
 * version wrote the bytes to the latest one they know, so old and new services interoperate.
 */
export class AvroCodec {
  private readonly resolvers = new Map<string, Resolver>();

  constructor(private readonly catalogue: SchemaCatalogue) {}

  encode(schemaName: string, value: unknown): Buffer {
    const writer = this.catalogue.latest(schemaName);
    const errors: string[] = [];
    const valid = writer.type.isValid(value, {
      errorHook: (path) => errors.push(path.join('.') || '(root)'),
    });
    if (!valid)
      throw new TypeError(`value does not match ${schemaName} v${writer.version} at: ${errors.join(', ')}`);
    return Buffer.concat([MAGIC, writer.fingerprint, writer.type.toBuffer(value)]);
  }

  decode<T = unknown>(bytes: Buffer): Decoded<T> {
    if (bytes.length < HEADER_LENGTH || !bytes.subarray(0, 2).equals(MAGIC)) {
      throw new UndecodableMessageError('not Avro single-object encoded (missing C3 01 marker)');
    }
    const fingerprint = bytes.subarray(2, HEADER_LENGTH);
    const writer = this.catalogue.byFingerprintOf(fingerprint);
    if (!writer)
      throw new UndecodableMessageError(`unknown writer schema fingerprint ${fingerprint.toString('hex')}`);
    const reader = this.catalogue.latest(writer.name);
    try {
      const body = bytes.subarray(HEADER_LENGTH);
      const value =
        reader === writer
          ? reader.type.fromBuffer(body)
          : reader.type.fromBuffer(body, this.resolver(reader, writer));
      return { schema: reader.name, writerVersion: writer.version, value: value as T };
    } catch (error) {
      throw new UndecodableMessageError(`corrupt ${writer.name} v${writer.version} body: ${String(error)}`);
    }
  }

  private resolver(reader: SchemaVersion, writer: SchemaVersion): Resolver {
    const key = `${reader.fingerprint.toString('hex')}<${writer.fingerprint.toString('hex')}`;
    let resolver = this.resolvers.get(key);
    if (!resolver) {
      resolver = reader.type.createResolver(writer.type);
      this.resolvers.set(key, resolver);
    }
    return resolver;
  }
}
