import {
  fromAvroConfigurationMap,
  fromAvroConfigurationValue,
  toAvroConfigurationMap,
  toAvroConfigurationValue,
} from './configuration-values';

const empty = { booleanValue: null, longValue: null, doubleValue: null, stringValue: null };

describe('configuration values on Kafka', () => {
  it.each([
    [true, { ...empty, booleanValue: true }],
    [false, { ...empty, booleanValue: false }],
    [5, { ...empty, longValue: 5 }],
    [-3, { ...empty, longValue: -3 }],
    [14.5, { ...empty, doubleValue: 14.5 }],
    [2 ** 60, { ...empty, doubleValue: 2 ** 60 }],
    ['', { ...empty, stringValue: '' }],
  ])('encodes %p in the field of its type', (value, expected) => {
    expect(toAvroConfigurationValue(value)).toEqual(expected);
    expect(fromAvroConfigurationValue(expected)).toBe(value);
  });

  it('round-trips a map, null meaning removal', () => {
    const changes = { 'radio.adr': false, 'radio.dataRate': 0, 'application.destination': null };
    expect(fromAvroConfigurationMap(toAvroConfigurationMap(changes))).toEqual(changes);
  });

  it('skips values of a type this reader does not know (all known fields null)', () => {
    expect(
      fromAvroConfigurationMap({ 'radio.channelMask': empty, 'radio.adr': { ...empty, booleanValue: true } }),
    ).toEqual({ 'radio.adr': true });
  });
});
