import {
  checkResourceValue,
  findConfigurationResource,
  findResource,
  isResourcePath,
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
});
