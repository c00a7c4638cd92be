import { randomUUID } from 'node:crypto';
import { EVENT_STORE, PostgresEventStore, type RecordedEvent } from '@fleet/event-store';
import { FleetExceptionFilter } from '@fleet/observability';
import { PG_POOL } from '@fleet/platform';
import { createTestSchema } from '@fleet/testing';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NextFunction, Request, Response } from 'express';
import type { Pool } from 'pg';
import type { DeviceProvisionedData } from '../devices/device';
import { SEARCH_CONTROLLERS, SEARCH_PROVIDERS, SEARCH_TWIN_TABLES } from '../devices/search-devices';
import { PostgresTwinStore } from '../devices/twin/postgres-twin.store';
import { twinTables } from '../devices/twin/twin-tables';
import {
  GROUP_CONTROLLERS,
  GROUP_PROVIDERS,
  GROUP_STORE,
  GROUP_TABLES,
  groupTables,
  type PostgresGroupStore,
} from '.';

// Groups end to end inside one process: HTTP (controllers, validation, error mapping) → event store
// (PostgreSQL) → subscription → projection → search. No auth guard: the actor comes from a header.

function provisioned(i: number, tags: string[], firmware: string): RecordedEvent {
  const deviceId = `meter-${i}`;
  const data: DeviceProvisionedData = {
    deviceId,
    serial: `SN-${i}`,
    manufacturer: 'Acme',
    model: 'WM-200',
    hardwareRevision: null,
    firmwareVersion: firmware,
    deviceClass: { kind: 'always-on', wakeIntervalSeconds: null, lorawanClass: null, devEui: null },
    region: 'EU868',
    tags,
    attributes: {},
    credential: {
      type: 'secret',
      secretHash: 'scrypt$x',
      certificateFingerprint: null,
      certificateNotAfter: null,
      appKeyCiphertext: null,
      kekId: null,
    },
  };
  const occurredAt = new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
  return {
    id: randomUUID(),
    type: 'DeviceProvisioned',
    data: data as unknown as Record<string, unknown>,
    metadata: {
      actor: { type: 'operator', id: 'alice' },
      reason: null,
      occurredAt,
      correlationId: randomUUID(),
      causationId: randomUUID(),
      tenant: 'default',
    },
    stream: `device-${deviceId}`,
    revision: 0n,
    position: { commit: BigInt(i), prepare: BigInt(i) },
    recordedAt: occurredAt,
  };
}

describe('groups (HTTP, event store, projection, search)', () => {
  let db: { pool: Pool; schema: string; drop(): Promise<void> };
  let store: PostgresEventStore;
  let app: INestApplication;
  let base: string;

  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    // Parsed JSON is untyped here on purpose: the assertions say what it must contain.
    const json = text ? JSON.parse(text) : undefined;
    return { status: response.status, headers: response.headers, body: json };
  };

  beforeAll(async () => {
    db = await createTestSchema('groups');
    store = await PostgresEventStore.create({ pool: db.pool, schema: `${db.schema}_es`, pollIntervalMs: 50 });
    const tables = twinTables(db.schema);
    const twins = new PostgresTwinStore(db.pool, tables);
    await twins.ensureSchema();
    await twins.applyBatch([
      provisioned(1, ['site-north', 'water'], '1.2.0'),
      provisioned(2, ['site-north'], '1.3.0'),
      provisioned(3, ['site-south', 'water'], '1.2.0'),
    ]);

    const moduleRef = await Test.createTestingModule({
      controllers: [...SEARCH_CONTROLLERS, ...GROUP_CONTROLLERS],
      providers: [
        ...SEARCH_PROVIDERS,
        ...GROUP_PROVIDERS,
        { provide: PG_POOL, useValue: db.pool },
        { provide: EVENT_STORE, useValue: store },
        { provide: SEARCH_TWIN_TABLES, useValue: tables },
        { provide: GROUP_TABLES, useValue: groupTables(db.schema) },
      ],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.use((request: Request & { actor?: unknown }, _response: Response, next: NextFunction) => {
      request.actor = { type: 'operator', id: request.header('x-test-actor') ?? 'alice' };
      next();
    });
    app.useGlobalFilters(new FleetExceptionFilter());
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
    await db?.pool.query(`drop schema if exists ${db.schema}_es cascade`);
    await db?.drop();
  });

  it('defines a static group (201) with actor, reason and correlation id in its event', async () => {
    const created = await api(
      'POST',
      '/groups',
      { name: 'north', kind: 'static', tag: 'site-north', description: 'North site', reason: 'site rollout' },
      { 'x-correlation-id': 'corr-groups-1', 'x-test-actor': 'olivia' },
    );
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/groups/north');
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({
      name: 'north',
      kind: 'static',
      tag: 'site-north',
      query: null,
      description: 'North site',
      version: 1,
      definedBy: 'olivia',
      updatedBy: 'olivia',
    });
    const [event] = await store.readStream('group-north');
    expect(event).toMatchObject({
      type: 'GroupDefined',
      data: { name: 'north', kind: 'static', tag: 'site-north', query: null, description: 'North site' },
      metadata: {
        actor: { type: 'operator', id: 'olivia' },
        reason: 'site rollout',
        correlationId: 'corr-groups-1',
      },
    });
  });

  it('refuses a second definition of the same name (409) and invalid ones (400)', async () => {
    const again = await api('POST', '/groups', { name: 'north', kind: 'static', tag: 'x' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'CONFLICT', message: 'group north already exists' });
    const invalid = await api('POST', '/groups', {
      name: 'North!',
      kind: 'dynamic',
      query: { batteryBelow: 200 },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details.issues).toEqual([
      { path: 'query.batteryBelow', message: 'must be between 0 and 100' },
      { path: 'name', message: 'lower-case letters, digits and -, 1 to 64 characters' },
    ]);
  });

  it('lists and reads groups; a group resolves in search and in /groups/:name/devices', async () => {
    const list = await api('GET', '/groups');
    expect(list.status).toBe(200);
    expect(list.body.items.map((g: { name: string }) => g.name)).toEqual(['north']);
    const one = await api('GET', '/groups/north');
    expect(one.headers.get('etag')).toBe('"1"');
    const members = await api('GET', '/groups/north/devices?sort=serial&order=desc&limit=1');
    expect(members.status).toBe(200);
    expect(members.body.total).toBe(2);
    expect(members.body.items.map((d: { deviceId: string }) => d.deviceId)).toEqual(['meter-2']);
    const next = await api(
      'GET',
      `/groups/north/devices?sort=serial&order=desc&limit=1&cursor=${members.body.nextCursor}`,
    );
    expect(next.body.items.map((d: { deviceId: string }) => d.deviceId)).toEqual(['meter-1']);
    expect(next.body.nextCursor).toBeNull();
    const search = await api('GET', '/devices?group=north&tag=water');
    expect(search.body.items.map((d: { deviceId: string }) => d.deviceId)).toEqual(['meter-1']);
    expect((await api('GET', '/groups/nope')).status).toBe(404);
    expect((await api('GET', '/groups/nope/devices')).status).toBe(404);
    expect((await api('GET', '/devices?group=nope')).status).toBe(404);
  });

  it('redefines a group: If-Match guards it (412), the new query applies at once', async () => {
    const stale = await api(
      'PUT',
      '/groups/north',
      { kind: 'dynamic', query: 'firmware=1.2.0' },
      { 'if-match': '"7"' },
    );
    expect(stale.status).toBe(412);
    expect(stale.body.error).toBe('PRECONDITION_FAILED');
    const redefined = await api(
      'PUT',
      '/groups/north',
      { kind: 'dynamic', query: 'firmware=1.2.0&tag=water', reason: 'only water meters on 1.2.0' },
      { 'if-match': '"1"' },
    );
    expect(redefined.status).toBe(200);
    expect(redefined.headers.get('etag')).toBe('"2"');
    expect(redefined.body).toMatchObject({
      kind: 'dynamic',
      tag: null,
      query: { firmware: '1.2.0', tag: ['water'] },
      version: 2,
      definedBy: 'olivia',
      updatedBy: 'alice',
    });
    const members = await api('GET', '/groups/north/devices');
    expect(members.body.items.map((d: { deviceId: string }) => d.deviceId)).toEqual(['meter-1', 'meter-3']);
    const renamed = await api('PUT', '/groups/north', { name: 'south', kind: 'static', tag: 'x' });
    expect(renamed.status).toBe(400);
    expect((await api('PUT', '/groups/nope', { kind: 'static', tag: 'x' })).status).toBe(404);
  });

  it('search parameters are validated at the edge', async () => {
    const unknown = await api('GET', '/devices?firmwareVersion=1.2.0');
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/unknown parameter firmwareVersion; allowed: manufacturer/);
    const notHistorised = await api('GET', '/devices?at=2026-01-01T00:00:00Z&batteryBelow=10');
    expect(notHistorised.status).toBe(400);
    expect(notHistorised.body.details.issues[0]).toMatchObject({ path: 'batteryBelow' });
    const repeated = await api('GET', '/devices?tag=water&tag=site-north');
    expect(repeated.body.items.map((d: { deviceId: string }) => d.deviceId)).toEqual(['meter-1']);
    const counts = await api('GET', '/device-counts?by=firmware&tag=water');
    expect(counts.body).toEqual({ by: 'firmware', total: 2, counts: [{ value: '1.2.0', count: 2 }] });
  });

  it('deletes a group: the reason is required, then it is gone (404)', async () => {
    const noReason = await api('DELETE', '/groups/north');
    expect(noReason.status).toBe(400);
    expect(noReason.body.details.issues).toEqual([{ path: 'reason', message: 'Required' }]);
    const deleted = await api('DELETE', '/groups/north?reason=site%20closed', undefined, {
      'if-match': '"2"',
    });
    expect(deleted.status).toBe(204);
    expect((await api('GET', '/groups/north')).status).toBe(404);
    expect((await api('GET', '/devices?group=north')).status).toBe(404);
    const events = await store.readStream('group-north');
    expect(events.map((e) => e.type)).toEqual(['GroupDefined', 'GroupRedefined', 'GroupDeleted']);
    expect(events[2]!.metadata.reason).toBe('site closed');
    // The name can be defined again.
    const again = await api('POST', '/groups', { name: 'north', kind: 'static', tag: 'site-north' });
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ version: 4, kind: 'static' });
  });

  it('the projection ignores redelivered events', async () => {
    const groups = app.get<PostgresGroupStore>(GROUP_STORE);
    const [first] = await store.readStream('group-north');
    await groups.apply(first!);
    expect(await groups.find('north')).toMatchObject({ version: 4, kind: 'static', tag: 'site-north' });
  });
});
