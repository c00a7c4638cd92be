import { Type } from 'avsc';
import { AvroCodec, UndecodableMessageError } from './avro-codec';
import { compatibilityProblems } from './compatibility';
import { crc64Avro } from './crc64-avro';
import { SchemaCatalogue, type SchemaVersion } from './schema-catalogue';

function version(name: string, v: number, fields: object[]): SchemaVersion {
  const type = Type.forSchema({ type: 'record', name, fields } as never);
  const fingerprint = Buffer.alloc(8);
  fingerprint.writeBigUInt64LE(crc64Avro(Buffer.from(JSON.stringify(type.schema()))));
  return { name, version: v, type, fingerprint, file: `${name}/v${v}.avsc` };
}

const v1 = version('test.Reading', 1, [{ name: 'deviceId', type: 'string' }]);
const v2 = version('test.Reading', 2, [
  { name: 'deviceId', type: 'string' },
  { name: 'battery', type: ['null', 'int'], default: null },
]);

describe('crc64Avro', () => {
  it('matches the Avro specification test vectors', () => {
    const signed = (s: string) => BigInt.asIntN(64, crc64Avro(Buffer.from(s))).toString();
    expect(signed('"null"')).toBe('7195948357588979594');
    expect(signed('"boolean"')).toBe('-6970731678124411036');
    expect(signed('"int"')).toBe('8247732601305521295');
  });
});

describe('AvroCodec', () => {
  it('round-trips a value with the latest schema', () => {
    const codec = new AvroCodec(new SchemaCatalogue([v1, v2]));
    const bytes = codec.encode('test.Reading', { deviceId: 'd1', battery: 80 });
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(codec.decode(bytes)).toEqual({
      schema: 'test.Reading',
      writerVersion: 2,
      value: expect.objectContaining({ deviceId: 'd1', battery: 80 }),
    });
  });

  it('given bytes written by an older version, when a newer reader decodes them, then defaults fill the new fields', () => {
    const oldWriter = new AvroCodec(new SchemaCatalogue([v1]));
    const newReader = new AvroCodec(new SchemaCatalogue([v1, v2]));
    const decoded = newReader.decode(oldWriter.encode('test.Reading', { deviceId: 'd1' }));
    expect(decoded.writerVersion).toBe(1);
    expect(decoded.value).toEqual(expect.objectContaining({ deviceId: 'd1', battery: null }));
  });

  it('refuses to encode a value that does not match, naming the field', () => {
    const codec = new AvroCodec(new SchemaCatalogue([v1]));
    expect(() => codec.encode('test.Reading', { deviceId: 42 })).toThrow(/deviceId/);
  });

  it.each([
    ['JSON', Buffer.from('{"deviceId":"d1"}')],
    ['an unknown fingerprint', Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0])],
    ['a truncated body', Buffer.concat([Buffer.from([0xc3, 0x01]), v1.fingerprint, Buffer.from([0x40])])],
  ])('reports %s as undecodable', (_, bytes) => {
    const codec = new AvroCodec(new SchemaCatalogue([v1]));
    expect(() => codec.decode(bytes)).toThrow(UndecodableMessageError);
  });
});

describe('compatibilityProblems', () => {
  it('accepts a field added with a default', () => {
    expect(compatibilityProblems(v2.type, v1.type)).toEqual([]);
  });

  it('reports a field added without a default as not backward compatible', () => {
    const broken = version('test.Reading', 2, [
      { name: 'deviceId', type: 'string' },
      { name: 'battery', type: 'int' },
    ]);
    expect(compatibilityProblems(broken.type, v1.type)).toEqual([expect.stringMatching(/^backward:/)]);
  });

  it('reports a changed field type in both directions', () => {
    const broken = version('test.Reading', 2, [{ name: 'deviceId', type: 'int' }]);
    expect(compatibilityProblems(broken.type, v1.type)).toHaveLength(2);
  });
});
