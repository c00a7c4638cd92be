import { configurationWrites } from './configuration-writes';

const resources: Record<string, string> = {
  'application.reportingIntervalSeconds': '/26241/0/2',
  'radio.adr': '/26242/0/3',
};

describe('configuration writes', () => {
  it('given desired changes, when planned, then one Write per key held by a resource, in key order', () => {
    const { writes, skipped } = configurationWrites(
      {
        'radio.adr': true,
        'application.reportingIntervalSeconds': 600,
        'application.colour': 'red',
        'radio.subBand': null,
      },
      (key) => resources[key],
    );
    expect(writes.map((w) => [w.key, w.operation.path, w.operation.value])).toEqual([
      ['application.reportingIntervalSeconds', '/26241/0/2', 600],
      ['radio.adr', '/26242/0/3', true],
    ]);
    expect(skipped).toEqual(['application.colour', 'radio.subBand']);
  });
});
