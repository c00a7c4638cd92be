import { compatibilityProblems, SchemaCatalogue, TOPIC_CATALOGUE } from '@fleet/contracts';
import type { Type } from 'avsc';

// Given every schema in schemas/, each version must stay readable by and able to read every
// earlier version, so downstream analytics never break when we evolve a contract.
const catalogue = SchemaCatalogue.load();

describe('schemas/', () => {
  it('contains the event envelope and at least one event', () => {
    expect(catalogue.names()).toEqual(
      expect.arrayContaining(['fleet.common.EventEnvelope', 'fleet.device.DeviceProvisioned']),
    );
  });

  describe.each(catalogue.names())('%s', (name) => {
    const versions = catalogue.versions(name);

    it('numbers its versions 1..n without gaps', () => {
      expect(versions.map((v) => v.version)).toEqual(versions.map((_, i) => i + 1));
    });

    it('stays backward and forward compatible with all earlier versions', () => {
      const problems = versions.flatMap((newer, i) =>
        versions
          .slice(0, i)
          .flatMap((older) =>
            compatibilityProblems(newer.type, older.type).map(
              (p) => `v${newer.version} vs v${older.version}: ${p}`,
            ),
          ),
      );
      expect(problems).toEqual([]);
    });

    it('documents every field', () => {
      expect(undocumentedFields(versions.at(-1)!.type)).toEqual([]);
    });

    if (name !== 'fleet.common.EventEnvelope' && name.split('.').length === 3) {
      it('embeds the current event envelope unchanged', () => {
        const envelope = catalogue.latest('fleet.common.EventEnvelope');
        const field = (
          catalogue.latest(name).type.schema({ exportAttrs: true }) as {
            fields: { name: string; type: unknown }[];
          }
        ).fields.find((f) => f.name === 'envelope');
        expect(field?.type).toEqual(envelope.type.schema({ exportAttrs: true }));
      });
    }
  });

  it('declares only schemas that exist in the topic catalogue', () => {
    const missing = TOPIC_CATALOGUE.flatMap((t) => t.schemas).filter((s) => !catalogue.names().includes(s));
    expect(missing).toEqual([]);
  });
});

function undocumentedFields(type: Type, path = ''): string[] {
  const schema = type.schema({ exportAttrs: true });
  return walk(schema, path);
}

function walk(schema: unknown, path: string): string[] {
  if (Array.isArray(schema)) return schema.flatMap((s) => walk(s, path));
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as {
    type?: unknown;
    fields?: { name: string; doc?: string; type: unknown }[];
    items?: unknown;
    values?: unknown;
  };
  if (s.fields) {
    return s.fields.flatMap((f) => [
      ...(f.doc ? [] : [`${path}${f.name}`]),
      ...walk(f.type, `${path}${f.name}.`),
    ]);
  }
  return [
    ...walk(s.items, path),
    ...walk(s.values, path),
    ...(typeof s.type === 'object' ? walk(s.type, path) : []),
  ];
}
