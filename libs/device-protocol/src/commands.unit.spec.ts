import { ValidationError } from '@fleet/core';
import {
  decodeCommand,
  decodeDesiredConfiguration,
  encodeCommand,
  encodeDesiredConfiguration,
  type DeviceCommand,
} from './commands';
import { json, rejectionOf } from './rejection.test-support';

const examples: DeviceCommand[] = [
  { id: 'c-1', op: 'read', path: '/3/0/9', expiresAt: '2026-11-22T10:00:00Z' },
  { id: 'c-2', op: 'write', path: '/26241/0/2', value: 600 },
  { id: 'c-3', op: 'execute', path: '/3/0/4', args: '' },
  { id: 'c-4', op: 'observe', path: '/3/0/9', attributes: { pmin: 60, pmax: 3600, gt: 80 } },
  { id: 'c-5', op: 'create', path: '/26241', values: { '0': 'pump' } },
  { id: 'c-6', op: 'delete', path: '/26241/1' },
  { id: 'c-7', op: 'discover', path: '/3' },
  { id: 'c-8', op: 'cancel-observe', path: '/3/0/9' },
];

describe('downlink commands (down/command)', () => {
  it.each(
    examples.flatMap((command) => [
      [command.op, 'json', command] as const,
      [command.op, 'cbor', command] as const,
    ]),
  )(
    'given a %s command, when encoded as %s and decoded by the device, then it round-trips',
    (_op, format, command) => {
      expect(decodeCommand(encodeCommand(command, format))).toEqual(command);
    },
  );

  it('given the spec example, when encoded as JSON, then it is the documented object', () => {
    expect(JSON.parse(encodeCommand(examples[0] as DeviceCommand).toString())).toEqual({
      id: 'c-1',
      op: 'read',
      path: '/3/0/9',
      expiresAt: '2026-11-22T10:00:00Z',
    });
  });

  it('given a command from a newer platform with an extra field, when decoded, then the field is dropped', () => {
    expect(decodeCommand(json({ id: 'c', op: 'read', path: '/3/0/9', traceId: 'x' }))).toEqual({
      id: 'c',
      op: 'read',
      path: '/3/0/9',
    });
  });

  it.each([
    [{ id: 'c', op: 'reboot', path: '/3/0/4' }, 'op'],
    [{ id: 'c', op: 'write', path: '/3/0', value: 1 }, 'path: must be an LwM2M resource path'],
    [{ id: 'c', op: 'delete', path: '/3/0/1' }, 'path: must be an LwM2M instance path'],
    [{ id: '', op: 'read', path: '/3/0/9' }, 'id: Too small'],
    [{ id: 'c', op: 'read', path: '/3/0/9', expiresAt: 'tomorrow' }, 'expiresAt: Invalid ISO datetime'],
  ])('given %j, when decoded, then it is refused naming %s', (value, fragment) => {
    const error = rejectionOf(() => decodeCommand(json(value)));

    expect(error.code).toBe('malformed');
    expect(error.reason).toContain(fragment);
  });

  it('given an invalid command, when the platform encodes it, then it is a ValidationError (our bug, not the device’s)', () => {
    const invalid = { id: 'c', op: 'write', path: 'nope', value: 1 } as DeviceCommand;

    expect(() => encodeCommand(invalid)).toThrow(ValidationError);
  });
});

describe('desired configuration (down/config)', () => {
  const desired = {
    version: 7,
    desired: { 'application.reportingIntervalSeconds': 600, 'radio.adr': true, 'radio.channelMask': null },
  };

  it.each(['json', 'cbor'] as const)(
    'given a desired configuration, when encoded as %s and decoded, then it round-trips',
    (format) => {
      expect(decodeDesiredConfiguration(encodeDesiredConfiguration(desired, format))).toEqual(desired);
    },
  );

  it('given the spec example, when decoded, then flat keys and values come back', () => {
    const payload = Buffer.from(
      '{"version": 3, "desired": {"application.reportingIntervalSeconds": 600, "radio.adr": true}}',
    );

    expect(decodeDesiredConfiguration(payload).desired).toEqual({
      'application.reportingIntervalSeconds': 600,
      'radio.adr': true,
    });
  });

  it('given a key the registry does not know yet, when decoded, then it passes (new keys need no release)', () => {
    expect(
      decodeDesiredConfiguration(json({ version: 1, desired: { 'display.brightness': 3 } })).desired,
    ).toEqual({
      'display.brightness': 3,
    });
  });

  it.each([
    [{ version: -1, desired: {} }, 'version: Too small'],
    [
      { version: 1, desired: { 'radio.dataRate': 3.5 } },
      'desired: radio.dataRate: expected an integer, got 3.5',
    ],
    [{ version: 1, desired: { 'radio.adr': 'yes' } }, 'desired: radio.adr: expected a boolean, got a string'],
    [{ version: 1, desired: { reportingInterval: 5 } }, 'must be a section.parameter key'],
  ])('given %j, when decoded, then it is refused naming %s', (value, fragment) => {
    expect(rejectionOf(() => decodeDesiredConfiguration(json(value))).reason).toContain(fragment);
  });
});
