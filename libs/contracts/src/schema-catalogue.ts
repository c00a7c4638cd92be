import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { Type, type Schema } from 'avsc';
import { crc64Avro } from './crc64-avro';

/** One version of one schema, parsed. */
export interface SchemaVersion {
  /** Full name, e.g. `fleet.device.DeviceProvisioned`. */
  readonly name: string;
  readonly version: number;
  readonly type: Type;
  /** CRC-64-AVRO of the Parsing Canonical Form, as 8 little-endian bytes. */
  readonly fingerprint: Buffer;
  readonly file: string;
}

/**
 * Every `.avsc` under `schemas/`, laid out as `schemas/<namespace>/<Name>/v<N>.avsc`. Loaded once
 * at start-up; the files are the public contract, so nothing is generated from code.
 */
export class SchemaCatalogue {
  private readonly byName = new Map<string, SchemaVersion[]>();
  private readonly byFingerprint = new Map<string, SchemaVersion>();

  constructor(versions: readonly SchemaVersion[]) {
    for (const v of versions) {
      const list = this.byName.get(v.name) ?? [];
      list.push(v);
      list.sort((a, b) => a.version - b.version);
      this.byName.set(v.name, list);
      this.byFingerprint.set(v.fingerprint.toString('hex'), v);
    }
  }

  static load(dir = findSchemasDir()): SchemaCatalogue {
    const versions: SchemaVersion[] = [];
    for (const namespace of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      for (const schema of readdirSync(join(dir, namespace.name), { withFileTypes: true })) {
        if (!schema.isDirectory()) continue;
        const schemaDir = join(dir, namespace.name, schema.name);
        for (const file of readdirSync(schemaDir).filter((f) => /^v\d+\.avsc$/.test(f))) {
          versions.push(parseVersion(join(schemaDir, file), Number(file.slice(1, -5))));
        }
      }
    }
    return new SchemaCatalogue(versions);
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** All versions of a schema, oldest first. */
  versions(name: string): readonly SchemaVersion[] {
    const list = this.byName.get(name);
    if (!list) throw new Error(`no schema named ${name} in the catalogue`);
    return list;
  }

  latest(name: string): SchemaVersion {
    return this.versions(name).at(-1) as SchemaVersion;
  }

  byFingerprintOf(fingerprint: Buffer): SchemaVersion | undefined {
    return this.byFingerprint.get(fingerprint.toString('hex'));
  }
}

function parseVersion(file: string, version: number): SchemaVersion {
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Schema;
  const type = Type.forSchema(schema);
  const canonical = JSON.stringify(type.schema());
  const fingerprint = Buffer.alloc(8);
  fingerprint.writeBigUInt64LE(crc64Avro(Buffer.from(canonical, 'utf8')));
  return { name: type.name as string, version, type, fingerprint, file };
}

/** Walks up from this file (source or compiled) to the repository's `schemas/` folder. */
export function findSchemasDir(from = __dirname): string {
  for (let dir = resolve(from); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'schemas')) && existsSync(join(dir, 'package.json')))
      return join(dir, 'schemas');
  }
  throw new Error(`no schemas/ folder above ${from}`);
}
