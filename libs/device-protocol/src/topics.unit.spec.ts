import {
  DEVICE_UPLINK_FILTER,
  INGESTION_SHARED_SUBSCRIPTION,
  chirpstackDownlinkTopic,
  chirpstackUplinkTopic,
  deviceAclTopicFilters,
  deviceTopic,
  isValidDeviceId,
  parseChirpstackUplinkTopic,
  parseDeviceTopic,
  parseTtsUplinkTopic,
  sharedSubscription,
  ttsDownlinkTopic,
  ttsUplinkTopic,
} from './topics';

const applicationId = '17c82e96-be03-4f38-aef3-f83d48582d97';

describe('device topics', () => {
  it('given a device id, when building its topics, then they follow fleet/v1/devices/{id}/{direction}/{kind}', () => {
    expect(deviceTopic('meter-1', 'up', 'telemetry')).toBe('fleet/v1/devices/meter-1/up/telemetry');
    expect(deviceTopic('urn:dev:ow.10e2', 'down', 'config')).toBe(
      'fleet/v1/devices/urn:dev:ow.10e2/down/config',
    );
  });

  it('given a topic built for every kind, when parsed, then the parts come back', () => {
    for (const kind of ['telemetry', 'state', 'ack', 'fuota'] as const) {
      expect(parseDeviceTopic(deviceTopic('d.1', 'up', kind))).toEqual({
        deviceId: 'd.1',
        direction: 'up',
        kind,
      });
    }
    for (const kind of ['command', 'config'] as const) {
      expect(parseDeviceTopic(deviceTopic('d.1', 'down', kind))).toEqual({
        deviceId: 'd.1',
        direction: 'down',
        kind,
      });
    }
  });

  it.each([
    'fleet/v1/devices/d-1/up/unknown',
    'fleet/v1/devices/d-1/down/telemetry',
    'fleet/v1/devices/d-1/up/telemetry/extra',
    'fleet/v1/devices/d-1/up',
    'fleet/v1/devices//up/telemetry',
    'fleet/v2/devices/d-1/up/telemetry',
    'fleet/v1/devices/d+1/up/telemetry',
  ])('given %s, when parsed, then it is not a device topic', (topic) => {
    expect(parseDeviceTopic(topic)).toBeUndefined();
  });

  it.each(['', 'a/b', 'a+b', 'a#', '$SYS', 'a b', 'x'.repeat(129), 'é'])(
    'given the device id %j, when validated, then it is refused',
    (id) => {
      expect(isValidDeviceId(id)).toBe(false);
      expect(() => deviceTopic(id, 'up', 'telemetry')).toThrow('device id must be');
    },
  );

  it('given a 128-character id of every allowed character, when validated, then it is accepted', () => {
    expect(isValidDeviceId('Az09._:-'.repeat(16))).toBe(true);
  });

  it('given a device, when its ACL is built, then it may publish its uplinks and receive its downlinks only', () => {
    expect(deviceAclTopicFilters('meter-1')).toEqual({
      publish: 'fleet/v1/devices/meter-1/up/#',
      subscribe: 'fleet/v1/devices/meter-1/down/#',
    });
  });

  it('given ingestion, when subscribing, then it shares the uplink filter in one group', () => {
    expect(DEVICE_UPLINK_FILTER).toBe('fleet/v1/devices/+/up/+');
    expect(INGESTION_SHARED_SUBSCRIPTION).toBe('$share/ingestion/fleet/v1/devices/+/up/+');
    expect(() => sharedSubscription('a/b', DEVICE_UPLINK_FILTER)).toThrow('invalid share group');
  });
});

describe('network-server topics', () => {
  it('given a ChirpStack uplink topic, when parsed, then application id and DevEUI come back', () => {
    const topic = chirpstackUplinkTopic({ applicationId, devEui: '0102030405060708' });

    expect(parseChirpstackUplinkTopic(topic)).toEqual({ applicationId, devEui: '0102030405060708' });
  });

  it.each([
    `application/${applicationId}/device/0102030405060708/event/join`,
    `application/${applicationId}/device/01020304050607/event/up`,
    `application/${applicationId}/device/0102030405060708/event/up/x`,
    'application/not-a-uuid/device/0102030405060708/event/up',
  ])('given %s, when parsed as a ChirpStack uplink, then it is not one', (topic) => {
    expect(parseChirpstackUplinkTopic(topic)).toBeUndefined();
  });

  it('given a ChirpStack device, when its downlink topic is built, then it ends in command/down', () => {
    expect(chirpstackDownlinkTopic({ applicationId, devEui: '0102030405060708' })).toBe(
      `application/${applicationId}/device/0102030405060708/command/down`,
    );
    expect(() => chirpstackDownlinkTopic({ applicationId, devEui: '0102' })).toThrow('DevEUI');
  });

  it('given The Things Stack topics with and without tenant, when parsed, then the tenant is optional', () => {
    expect(parseTtsUplinkTopic('v3/app-1@ttn/devices/dev-1/up')).toEqual({
      applicationId: 'app-1',
      tenantId: 'ttn',
      deviceId: 'dev-1',
    });
    expect(parseTtsUplinkTopic('v3/app-1/devices/dev-1/up')).toEqual({
      applicationId: 'app-1',
      tenantId: null,
      deviceId: 'dev-1',
    });
  });

  it.each(['v3/app-1@ttn/devices/dev-1/down/push', 'v3/App_1/devices/dev-1/up', 'v3/a@b@c/devices/dev-1/up'])(
    'given %s, when parsed as a The Things Stack uplink, then it is not one',
    (topic) => {
      expect(parseTtsUplinkTopic(topic)).toBeUndefined();
    },
  );

  it('given a The Things Stack device, when its topics are built, then they round-trip and downlinks push', () => {
    const address = { applicationId: 'app-1', tenantId: 'ttn', deviceId: 'dev-1' };

    expect(parseTtsUplinkTopic(ttsUplinkTopic(address))).toEqual(address);
    expect(ttsDownlinkTopic(address)).toBe('v3/app-1@ttn/devices/dev-1/down/push');
    expect(ttsDownlinkTopic({ ...address, tenantId: null }, 'replace')).toBe(
      'v3/app-1/devices/dev-1/down/replace',
    );
  });
});
