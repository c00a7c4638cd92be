import { compatibilityProblems, SchemaCatalogue, TOPIC_CATALOGUE } from '@fleet/contracts';
import { isDeepStrictEqual } from 'node:util';
import type { Type } from 'avsc';

// Given every schema in schemas/, each version must stay readable by and able to read every
// earlier version, so downstream analytics never break when we evolve a contract.
const catalogue = SchemaCatalogue.load();

/** Namespaces of domain events (`fleet.<aggregate>.<EventType>`, shaped `{ envelope, data }`). */
const EVENT_NAMESPACES = ['fleet.device', 'fleet.command', 'fleet.campaign', 'fleet.alert', 'fleet.firmware'];
/** Namespaces of records that are not domain events: shared types, and non-event topics' values. */
const OTHER_NAMESPACES = ['fleet.common', 'fleet.telemetry', 'fleet.dispatch', 'fleet.access'];
const namespaceOf = (name: string) => name.slice(0, name.lastIndexOf('.'));

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

    it('embeds every shared schema of the catalogue in its current version', () => {
      expect(embeddedOutdatedSchemas(catalogue.latest(name).type)).toEqual([]);
    });

    if (EVENT_NAMESPACES.includes(namespaceOf(name))) {
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

  it('places every schema in a namespace known to be of events or not', () => {
    const unknown = catalogue
      .names()
      .filter((name) => ![...EVENT_NAMESPACES, ...OTHER_NAMESPACES].includes(namespaceOf(name)));
    expect(unknown).toEqual([]);
  });

  it('declares only schemas that exist in the topic catalogue', () => {
    const missing = TOPIC_CATALOGUE.flatMap((t) => t.schemas).filter((s) => !catalogue.names().includes(s));
    expect(missing).toEqual([]);
  });
});

/**
 * Records nested in a schema that are themselves catalogue schemas (the envelope, shared types
 * such as fleet.common.ConfigurationValue) but differ from the catalogue's latest version.
 */
function embeddedOutdatedSchemas(type: Type): string[] {
  const outdated: string[] = [];
  const visit = (schema: unknown, top: boolean): void => {
    if (Array.isArray(schema)) return schema.forEach((s) => visit(s, false));
    if (typeof schema !== 'object' || schema === null) return;
    const s = schema as { name?: string; fields?: { type: unknown }[]; items?: unknown; values?: unknown };
    if (!top && s.fields && s.name && catalogue.names().includes(s.name)) {
      if (!isDeepStrictEqual(s, catalogue.latest(s.name).type.schema({ exportAttrs: true }))) {
        outdated.push(s.name);
      }
      return;
    }
    s.fields?.forEach((f) => visit(f.type, false));
    visit(s.items, false);
    visit(s.values, false);
  };
  visit(type.schema({ exportAttrs: true }), true);
  return outdated;
}

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
