import { ValidationError } from '@fleet/core';
import { decodeCommand, encodeCommand } from './commands';
import {
  checkOperation,
  operationDownlink,
  type DeviceOperationRequest,
  type OperationRequestInput,
} from './operations';

const request = (
  operation: string,
  path: string,
  extra: Partial<Omit<OperationRequestInput, 'operation' | 'path'>> = {},
): OperationRequestInput => ({
  operation,
  path,
  value: null,
  arguments: null,
  attributes: null,
  instanceValues: null,
  ...extra,
});

/** The ValidationError `checkOperation` throws; passing, or any other error, fails the test. */
function refusal(input: OperationRequestInput): { message: string; issues: unknown } {
  try {
    checkOperation(input);
  } catch (error) {
    if (error instanceof ValidationError) return { message: error.message, issues: error.details['issues'] };
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('checkOperation', () => {
  it.each([
    ['read', '/3/0/9'],
    ['read', '/3/0'],
    ['read', '/3'],
    ['observe', '/3303/2/5700'],
    ['cancel-observe', '/3/0/9'],
    ['discover', '/3/0/4'],
    ['execute', '/3/0/4'],
    ['execute', '/1/0/8'],
    ['delete', '/3303/1'],
    ['create', '/3303'],
    ['create', '/3303/4'],
  ])('given %s %s, when checked, then it is accepted', (operation, path) => {
    expect(checkOperation(request(operation, path))).toMatchObject({ operation, path });
  });

  it('given a write of a fitting value, when checked, then the request comes back with every field present', () => {
    expect(checkOperation({ operation: 'write', path: '/1/0/1', value: 86_400 })).toEqual({
      operation: 'write',
      path: '/1/0/1',
      value: 86_400,
      arguments: null,
      attributes: null,
      instanceValues: null,
    });
  });

  it('given an unknown operation, when checked, then the error names it and lists the known ones', () => {
    expect(refusal(request('reboot', '/3/0/4'))).toEqual({
      message:
        'unknown operation "reboot": expected read, write, create, delete, execute, discover, observe, cancel-observe',
      issues: [{ path: 'operation', message: expect.stringContaining('"reboot"') }],
    });
  });

  it.each(['3/0/9', '/3/0/9/1', '/3//9', '/3/00/9', '/65535/0/0', '/', '/a/0/1', '/3/0/9/'])(
    'given the malformed path %s, when checked, then it is refused on path',
    (path) => {
      const { message, issues } = refusal(request('read', path));

      expect(message).toBe(
        `${JSON.stringify(path)} is not an LwM2M path /object, /object/instance or /object/instance/resource (ids 0-65534)`,
      );
      expect(issues).toEqual([{ path: 'path', message }]);
    },
  );

  it.each([
    ['write', '/26241/0', 'write needs a resource path /object/instance/resource, got /26241/0'],
    ['execute', '/3', 'execute needs a resource path /object/instance/resource, got /3'],
    ['delete', '/3303/0/5700', 'delete needs an object instance path /object/instance, got /3303/0/5700'],
    ['delete', '/3303', 'delete needs an object instance path /object/instance, got /3303'],
    [
      'create',
      '/3303/0/5700',
      'create needs an object path /object or an instance path /object/instance, got /3303/0/5700',
    ],
  ])('given %s on %s, when checked, then the path level is refused', (operation, path, message) => {
    expect(refusal(request(operation, path, operation === 'write' ? { value: 1 } : {})).message).toBe(
      message,
    );
  });

  it.each([
    ['/9', "/9: object 9 is not in Fleetwise's LwM2M registry"],
    ['/9/0/1', "/9/0/1: object 9 is not in Fleetwise's LwM2M registry"],
    ['/3/1', "/3/1: object 3 has no instance 1 in Fleetwise's LwM2M registry"],
    ['/3/0/99', "/3/0/99: resource 99 of object 3 is not in Fleetwise's LwM2M registry"],
  ])('given the unknown target %s, when read, then the error names what is unknown', (path, message) => {
    expect(refusal(request('read', path))).toEqual({ message, issues: [{ path: 'path', message }] });
  });

  it.each([
    ['create', '/3', '/3: object 3 has a single instance: no instance can be created'],
    ['delete', '/3/0', '/3/0: object 3 has a single instance: it cannot be deleted'],
  ])('given %s on a single-instance object, when checked, then it is refused', (operation, path, message) => {
    expect(refusal(request(operation, path)).message).toBe(message);
  });

  it('given a write to a read-only resource, when checked, then it says so', () => {
    expect(refusal(request('write', '/3/0/9', { value: 50 }))).toEqual({
      message: '/3/0/9 is read-only',
      issues: [{ path: 'path', message: '/3/0/9 is read-only' }],
    });
  });

  it('given a write to an executable resource, when checked, then it is not writable', () => {
    expect(refusal(request('write', '/3/0/4', { value: 1 })).message).toBe(
      '/3/0/4 is executable, not writable',
    );
  });

  it.each(['/3/0/9', '/26241/0/2'])(
    'given an execute of the non-executable %s, when checked, then it is refused',
    (path) => {
      expect(refusal(request('execute', path)).message).toBe(`${path} is not executable`);
    },
  );

  it.each(['read', 'observe', 'cancel-observe'])(
    'given %s of an execute-only resource, when checked, then it cannot be read',
    (operation) => {
      expect(refusal(request(operation, '/3/0/5')).message).toBe(
        '/3/0/5 is executable only (factory reset): it cannot be read or observed',
      );
    },
  );

  describe('values of a write', () => {
    it('given no value, when checked, then the value is required', () => {
      expect(refusal(request('write', '/26241/0/2'))).toEqual({
        message: 'write /26241/0/2 needs a value',
        issues: [{ path: 'value', message: 'write /26241/0/2 needs a value' }],
      });
    });

    it.each([
      [{ value: '600' }, '/26241/0/2: expected an integer, got a string'],
      [{ value: 600.5 }, '/26241/0/2: expected an integer, got 600.5'],
      [{ value: 0 }, '/26241/0/2: 0 is below the minimum 1'],
      [{ value: { seconds: 600 } }, '/26241/0/2: the value must be a string, a finite number or a boolean'],
      [{ value: Number.NaN }, '/26241/0/2: the value must be a string, a finite number or a boolean'],
    ])('given %j, when written to the reporting interval, then the value is refused', (extra, message) => {
      expect(refusal(request('write', '/26241/0/2', extra))).toEqual({
        message,
        issues: [{ path: 'value', message }],
      });
    });

    it.each([
      ['/5/0/1', 'coaps://fw.example.com/meter-1.4.3.bin'],
      ['/5/0/1', ''],
      ['/1/0/3', 0],
      ['/3/0/13', 1_780_000_000],
      ['/26242/0/3', false],
    ])('given %s = %j, when written, then it is accepted', (path, value) => {
      expect(() => checkOperation(request('write', path, { value }))).not.toThrow();
    });

    it.each([
      [
        '/5/0/1',
        'not a uri',
        '/5/0/1: "not a uri" is not an absolute URI such as coaps://host/firmware.bin (or empty, to cancel)',
      ],
      ['/5/0/1', `coap://h/${'x'.repeat(250)}`, '/5/0/1: 259 characters exceed the maximum 255'],
      ['/1/0/1', 0, '/1/0/1: 0 is below the minimum 1'],
    ])('given %s = %j, when written, then the reason names the limit', (path, value, message) => {
      expect(refusal(request('write', path, { value })).message).toBe(message);
    });

    it('given a value on another operation than write, when checked, then it is refused', () => {
      expect(refusal(request('read', '/3/0/9', { value: 1 }))).toEqual({
        message: 'value is only for write, not read',
        issues: [{ path: 'value', message: 'value is only for write, not read' }],
      });
    });
  });

  describe('arguments of an execute', () => {
    it.each(["0='2026-06-01'", '', '5'])(
      'given the arguments %j, when checked, then they are accepted',
      (args) => {
        expect(checkOperation(request('execute', '/3/0/4', { arguments: args })).arguments).toBe(args);
      },
    );

    it.each([
      ['x'.repeat(256), 'arguments: 256 characters exceed the maximum 255'],
      ["0='café'", 'arguments: only printable ASCII is allowed, found U+00E9 at position 6'],
      ['a\nb', 'arguments: only printable ASCII is allowed, found U+000A at position 1'],
      [42, 'arguments must be a string'],
    ])('given the arguments %j, when checked, then they are refused', (args, message) => {
      expect(refusal(request('execute', '/3/0/4', { arguments: args }))).toEqual({
        message,
        issues: [{ path: 'arguments', message }],
      });
    });

    it('given arguments on a read, when checked, then they are refused', () => {
      expect(refusal(request('read', '/3/0/9', { arguments: '1' })).message).toBe(
        'arguments are only for execute, not read',
      );
    });
  });

  describe('attributes of an observe', () => {
    it.each([
      [{ pmin: 60, pmax: 3600, gt: 80, lt: 20, st: 5 }, '/3/0/9'],
      [{ pmin: 0, pmax: 0 }, '/3/0'],
      [{ pmax: 600 }, '/3'],
      [{ gt: 25.5 }, '/3303/0/5700'],
      [{}, '/3/0/9'],
    ])('given %j on %s, when checked, then they are accepted', (attributes, path) => {
      expect(checkOperation(request('observe', path, { attributes })).attributes).toEqual(attributes);
    });

    it.each([
      [{ pmin: -1 }, 'attributes.pmin', 'attributes.pmin: must be a whole number of seconds ≥ 0, got -1'],
      [{ pmax: 1.5 }, 'attributes.pmax', 'attributes.pmax: must be a whole number of seconds ≥ 0, got 1.5'],
      [{ pmin: 600, pmax: 60 }, 'attributes.pmin', 'attributes: pmin 600 is greater than pmax 60'],
      [{ gt: '80' }, 'attributes.gt', 'attributes.gt: must be a number, got "80"'],
      [{ st: 0 }, 'attributes.st', 'attributes.st: the step must be greater than 0, got 0'],
      [{ gt: 20, lt: 80 }, 'attributes.lt', 'attributes: lt 80 must be less than gt 20'],
      [{ gt: 80, lt: 20, st: 30 }, 'attributes.st', 'attributes: lt + 2 × st (80) must be less than gt 80'],
      [
        { epmin: 5 },
        'attributes.epmin',
        'attributes.epmin: unknown attribute (expected pmin, pmax, gt, lt, st)',
      ],
    ])('given %j on the battery, when checked, then it is refused on %s', (attributes, path, message) => {
      expect(refusal(request('observe', '/3/0/9', { attributes }))).toEqual({
        message,
        issues: [{ path, message }],
      });
    });

    it('given a threshold on a string resource, when checked, then thresholds need a numeric resource', () => {
      expect(refusal(request('observe', '/3/0/3', { attributes: { gt: 1 } })).message).toBe(
        'attributes.gt: gt applies to numeric resources only; /3/0/3 is a string',
      );
    });

    it('given a threshold on an object instance, when checked, then thresholds need a resource', () => {
      expect(refusal(request('observe', '/3/0', { attributes: { st: 1 } })).message).toBe(
        'attributes.st: st applies to a numeric resource, not to /3/0',
      );
    });

    it('given attributes on a write, when checked, then they are refused', () => {
      expect(refusal(request('write', '/26241/0/2', { value: 60, attributes: { pmin: 1 } })).message).toBe(
        'attributes are only for observe, not write',
      );
    });
  });

  describe('instance values of a create', () => {
    it('given fitting values of known resources, when checked, then they are accepted', () => {
      const instanceValues = { '5700': 21.5 };

      expect(checkOperation(request('create', '/3303/3', { instanceValues })).instanceValues).toEqual(
        instanceValues,
      );
    });

    it.each([
      [{ x: 1 }, 'instanceValues.x', 'instanceValues.x: "x" is not a resource id (0-65534)'],
      [
        { '5701': 'Cel' },
        'instanceValues.5701',
        "instanceValues.5701: resource 5701 of object 3303 is not in Fleetwise's LwM2M registry",
      ],
      [{ '5700': 2000 }, 'instanceValues.5700', 'instanceValues.5700: 2000 is above the maximum 1000'],
    ])(
      'given %j, when a temperature instance is created, then it is refused on %s',
      (instanceValues, path, message) => {
        expect(refusal(request('create', '/3303', { instanceValues }))).toEqual({
          message,
          issues: [{ path, message }],
        });
      },
    );

    it('given instance values on a write, when checked, then they are refused', () => {
      expect(refusal(request('write', '/26241/0/2', { value: 60, instanceValues: { '1': 2 } })).message).toBe(
        'instanceValues are only for create, not write',
      );
    });
  });
});

describe('operationDownlink', () => {
  const expiresAt = '2026-11-22T10:00:00.000Z';
  const full = (
    extra: Partial<DeviceOperationRequest> & Pick<DeviceOperationRequest, 'operation' | 'path'>,
  ) => ({
    value: null,
    arguments: null,
    attributes: null,
    instanceValues: null,
    ...extra,
  });

  it.each([
    [full({ operation: 'read', path: '/3/0/9' }), { op: 'read', path: '/3/0/9' }],
    [
      full({ operation: 'write', path: '/26241/0/2', value: 600 }),
      { op: 'write', path: '/26241/0/2', value: 600 },
    ],
    [
      full({ operation: 'execute', path: '/3/0/4', arguments: "0='x'" }),
      { op: 'execute', path: '/3/0/4', args: "0='x'" },
    ],
    [full({ operation: 'execute', path: '/3/0/4' }), { op: 'execute', path: '/3/0/4' }],
    [
      full({ operation: 'observe', path: '/3/0/9', attributes: { pmin: 60, gt: 80, lt: undefined } }),
      { op: 'observe', path: '/3/0/9', attributes: { pmin: 60, gt: 80 } },
    ],
    [
      full({ operation: 'create', path: '/3303', instanceValues: { '5700': 20 } }),
      { op: 'create', path: '/3303', values: { '5700': 20 } },
    ],
    [full({ operation: 'delete', path: '/3303/1' }), { op: 'delete', path: '/3303/1' }],
    [full({ operation: 'cancel-observe', path: '/3/0/9' }), { op: 'cancel-observe', path: '/3/0/9' }],
  ])('given %j, when turned into a downlink, then it is the down/command object', (input, expected) => {
    const command = operationDownlink('cmd-1', input, expiresAt);

    expect(command).toEqual({ id: 'cmd-1', expiresAt, ...expected });
    expect(decodeCommand(encodeCommand(command))).toEqual(command);
  });

  it('given no expiry, when turned into a downlink, then expiresAt is left out', () => {
    expect(operationDownlink('cmd-2', full({ operation: 'read', path: '/3' }), null)).toEqual({
      id: 'cmd-2',
      op: 'read',
      path: '/3',
    });
  });

  it('given an expiry that is not an ISO-8601 instant, when turned into a downlink, then it is refused', () => {
    expect(() => operationDownlink('cmd-3', full({ operation: 'read', path: '/3' }), 'tomorrow')).toThrow(
      ValidationError,
    );
  });
});
