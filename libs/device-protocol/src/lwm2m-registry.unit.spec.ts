import {
  checkResourceValue,
  findConfigurationResource,
  findResource,
  isExecutable,
  isKnownInstance,
  isKnownObject,
  isMultiInstanceObject,
  isReadable,
  isResourcePath,
  isWritable,
} from './lwm2m-registry';
import { LWM2M_RESOURCES } from './lwm2m-resources';
import { rejectionOf } from './rejection.test-support';

describe('LwM2M registry', () => {
  it('given the paths of the spec table, when looked up, then each is known with what it becomes', () => {
    const becomes = (path: string) => findResource(path)?.becomes;

    expect(becomes('/3/0/9')).toEqual({ kind: 'telemetry', field: 'batteryPercent' });
    expect(becomes('/4/0/2')).toEqual({ kind: 'telemetry', field: 'rssi' });
    expect(becomes('/4/0/11')).toEqual({ kind: 'telemetry', field: 'snr' });
    expect(becomes('/3/0/3')).toEqual({ kind: 'telemetry', field: 'firmwareVersion' });
    for (const path of [
      '/3/0/7',
      '/3/0/13',
      '/4/0/3',
      '/5/0/3',
      '/5/0/5',
      '/5/0/7',
      '/5/0/8',
      '/6/0/0',
      '/6/0/1',
    ]) {
      expect(becomes(path)).toEqual({ kind: 'reading' });
    }
  });

  it('given multi-instance objects, when any instance is looked up, then the wildcard entry matches', () => {
    expect(findResource('/3303/0/5700')?.name).toBe('temperature');
    expect(findResource('/3303/7/5700')?.name).toBe('temperature');
    expect(findResource('/3331/2/5805')?.name).toBe('cumulative energy');
    expect(findResource('/3/1/9')).toBeUndefined();
  });

  it('given the private objects, when looked up by key, then they cover every configuration key of the contract', () => {
    const keys = LWM2M_RESOURCES.flatMap((r) => (r.becomes.kind === 'configuration' ? [r.becomes.key] : []));

    expect(keys).toEqual([
      'application.logicalName',
      'application.destination',
      'application.reportingIntervalSeconds',
      'application.wakeUp',
      'radio.subBand',
      'radio.channelMask',
      'radio.dataRate',
      'radio.adr',
      'radio.txPowerDbm',
    ]);
    expect(findConfigurationResource('radio.adr')?.pattern).toBe('/26242/0/3');
    expect(findConfigurationResource('radio.unknown')).toBeUndefined();
  });

  it.each(['/3/0/9', '/65534/0/0', '/3/0/6/1'])(
    'given %s, when checked, then it is a resource path',
    (path) => {
      expect(isResourcePath(path)).toBe(true);
    },
  );

  it.each(['/3/0', '/3/00/9', '/65535/0/0', '3/0/9', '/3/0/9/', '/a/0/9', '/3/0/9/1/2'])(
    'given %s, when checked, then it is not a resource path',
    (path) => {
      expect(isResourcePath(path)).toBe(false);
    },
  );

  it('given a value at the inclusive limits, when checked, then it is accepted', () => {
    expect(() => checkResourceValue('/3/0/9', 0, null)).not.toThrow();
    expect(() => checkResourceValue('/3/0/9', 100, '%')).not.toThrow();
    expect(() => checkResourceValue('/3303/0/5700', -273.15, 'Cel')).not.toThrow();
  });

  it('given a string over its maximum length, when checked, then the reason gives the length, not the value', () => {
    expect(rejectionOf(() => checkResourceValue('/3/0/3', 'v'.repeat(65), null)).reason).toBe(
      '/3/0/3: 65 characters exceed the maximum 64',
    );
  });

  it('given the device-management resources, when looked up, then each has its LwM2M operations and type', () => {
    const of = (path: string) => {
      const definition = findResource(path);
      return definition && [definition.operations, definition.type];
    };

    expect(of('/1/0/1')).toEqual(['RW', 'integer']);
    expect(of('/1/0/2')).toEqual(['RW', 'integer']);
    expect(of('/1/0/3')).toEqual(['RW', 'integer']);
    expect(of('/1/0/8')).toEqual(['E', 'none']);
    for (const path of ['/3/0/0', '/3/0/1', '/3/0/2', '/3/0/3']) expect(of(path)).toEqual(['R', 'string']);
    expect(of('/3/0/4')).toEqual(['E', 'none']);
    expect(of('/3/0/5')).toEqual(['E', 'none']);
    expect(of('/3/0/9')).toEqual(['R', 'number']);
    expect(of('/5/0/1')).toEqual(['RW', 'string']);
    expect(of('/5/0/2')).toEqual(['E', 'none']);
    expect(of('/5/0/3')).toEqual(['R', 'integer']);
    expect(of('/5/0/5')).toEqual(['R', 'integer']);
    expect(of('/3303/4/5700')).toEqual(['R', 'number']);
  });

  it('given every registry entry, when classified, then configuration is read-write and readings read-only', () => {
    for (const definition of LWM2M_RESOURCES) {
      if (definition.becomes.kind === 'configuration') expect(definition.operations).toBe('RW');
      if (definition.type === 'none') expect(definition.operations).toBe('E');
      expect(isReadable(definition) || isExecutable(definition)).toBe(true);
    }
    expect(isWritable(findResource('/26241/0/2')!)).toBe(true);
    expect(isWritable(findResource('/3/0/9')!)).toBe(false);
  });

  it('given objects and instances, when asked, then the registry knows which exist and which are multi-instance', () => {
    expect([1, 3, 4, 5, 6, 3303, 26241, 26242].every(isKnownObject)).toBe(true);
    expect(isKnownObject(9)).toBe(false);
    expect(isKnownInstance(3, 0)).toBe(true);
    expect(isKnownInstance(3, 1)).toBe(false);
    expect(isKnownInstance(3303, 7)).toBe(true);
    expect(isMultiInstanceObject(3303)).toBe(true);
    expect(isMultiInstanceObject(3)).toBe(false);
  });

  it.each(['/3/0/4', '/3/0/5', '/1/0/8', '/5/0/2'])(
    'given an uplink value for the executable %s, when checked, then it is refused as not readable',
    (path) => {
      expect(rejectionOf(() => checkResourceValue(path, 1, null))).toMatchObject({
        code: 'unknown-path',
        reason: expect.stringMatching(
          new RegExp(`^${path}: .+ is executable, not readable: it has no value$`),
        ),
      });
    },
  );

  it('given uplink values of the newly known read and read-write resources, when checked, then they are accepted', () => {
    expect(() => checkResourceValue('/1/0/1', 86_400, 's')).not.toThrow();
    expect(() => checkResourceValue('/3/0/0', 'Acme', null)).not.toThrow();
    expect(() => checkResourceValue('/5/0/1', 'https://fw.example.com/a.bin', null)).not.toThrow();
  });
});
