import {
  multicastSetup,
  sessionTimeOutFor,
  type MulticastSetupDownlink,
  type MulticastSetupUplink,
} from './multicast-setup';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s/g, ''), 'hex'));
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');
const key = bytes('0102030405060708 0102030405060708');

// Byte examples of brocaar/lorawan's applayer/multicastsetup tests (an independent Go implementation).
const downlinks: [string, MulticastSetupDownlink, string][] = [
  ['PackageVersionReq', { type: 'PackageVersionReq' }, '00'],
  ['McGroupStatusReq', { type: 'McGroupStatusReq', reqGroupMask: 0b1010 }, '01 0a'],
  [
    'McGroupSetupReq',
    {
      type: 'McGroupSetupReq',
      mcGroupId: 2,
      mcAddr: '01020304',
      mcKeyEncrypted: key,
      minMcFCount: 100,
      maxMcFCount: 200,
    },
    '02 02 04030201 01020304050607080102030405060708 64000000 c8000000',
  ],
  ['McGroupDeleteReq', { type: 'McGroupDeleteReq', mcGroupId: 3 }, '03 03'],
  [
    'McClassCSessionReq',
    {
      type: 'McClassCSessionReq',
      mcGroupId: 3,
      sessionTime: 134480385,
      sessionTimeOut: 8,
      dlFrequencyHz: 868_100_000,
      dataRate: 4,
    },
    '04 03 01020408 08 287684 04',
  ],
  [
    'McClassBSessionReq',
    {
      type: 'McClassBSessionReq',
      mcGroupId: 3,
      sessionTime: 134480385,
      sessionTimeOut: 8,
      periodicity: 4,
      dlFrequencyHz: 868_100_000,
      dataRate: 5,
    },
    '05 03 01020408 48 287684 05',
  ],
];

const uplinks: [string, MulticastSetupUplink, string][] = [
  ['PackageVersionAns', { type: 'PackageVersionAns', packageIdentifier: 1, packageVersion: 1 }, '00 01 01'],
  [
    'McGroupStatusAns',
    {
      type: 'McGroupStatusAns',
      nbTotalGroups: 4,
      groups: [
        { mcGroupId: 3, mcAddr: '01020304' },
        { mcGroupId: 2, mcAddr: '04030201' },
      ],
    },
    '01 4c 03 04030201 02 01020304',
  ],
  ['McGroupSetupAns', { type: 'McGroupSetupAns', mcGroupId: 3, idError: true }, '02 07'],
  ['McGroupDeleteAns', { type: 'McGroupDeleteAns', mcGroupId: 1, mcGroupUndefined: true }, '03 05'],
  [
    'McClassCSessionAns',
    {
      type: 'McClassCSessionAns',
      mcGroupId: 3,
      dataRateError: false,
      frequencyError: false,
      mcGroupUndefined: false,
      timeToStart: 262657,
    },
    '04 03 010204',
  ],
  [
    'McClassCSessionAns with errors',
    {
      type: 'McClassCSessionAns',
      mcGroupId: 3,
      dataRateError: true,
      frequencyError: true,
      mcGroupUndefined: true,
    },
    '04 1f',
  ],
  [
    'McClassBSessionAns',
    {
      type: 'McClassBSessionAns',
      mcGroupId: 3,
      dataRateError: false,
      frequencyError: false,
      mcGroupUndefined: false,
      timeToStart: 262657,
    },
    '05 03 010204',
  ],
];

describe('TS005 remote multicast setup commands (FPort 200)', () => {
  it.each(downlinks)(
    'given a %s, when encoded and decoded, then the bytes are the reference ones and it round-trips',
    (_, command, wire) => {
      expect(hex(multicastSetup.encodeDownlink([command]))).toBe(wire.replace(/\s/g, ''));
      expect(multicastSetup.decodeDownlink(bytes(wire))).toEqual([command]);
    },
  );

  it.each(uplinks)(
    'given a %s, when encoded and decoded, then the bytes are the reference ones and it round-trips',
    (_, command, wire) => {
      expect(hex(multicastSetup.encodeUplink([command]))).toBe(wire.replace(/\s/g, ''));
      expect(multicastSetup.decodeUplink(bytes(wire))).toEqual([command]);
    },
  );

  it('given a session answer with and one without TimeToStart in one frame, when decoded, then both are read', () => {
    expect(multicastSetup.decodeUplink(bytes('05 03 010204 05 1f'))).toHaveLength(2);
  });

  it.each([
    [
      {
        type: 'McClassCSessionReq',
        mcGroupId: 0,
        sessionTime: 0,
        sessionTimeOut: 16,
        dlFrequencyHz: 869_525_000,
        dataRate: 0,
      },
      'sessionTimeOut 16',
    ],
    [
      {
        type: 'McClassCSessionReq',
        mcGroupId: 0,
        sessionTime: 0,
        sessionTimeOut: 8,
        dlFrequencyHz: 869_525_050,
        dataRate: 0,
      },
      'multiple of 100 Hz',
    ],
    [
      {
        type: 'McGroupSetupReq',
        mcGroupId: 0,
        mcAddr: 'xyz',
        mcKeyEncrypted: key,
        minMcFCount: 0,
        maxMcFCount: 1,
      },
      'not 8 hex digits',
    ],
    [
      {
        type: 'McGroupSetupReq',
        mcGroupId: 0,
        mcAddr: '01020304',
        mcKeyEncrypted: key.subarray(1),
        minMcFCount: 0,
        maxMcFCount: 1,
      },
      'has 15 bytes',
    ],
  ] as [MulticastSetupDownlink, string][])(
    'given %j, when encoded, then it is refused',
    (command, reason) => {
      expect(() => multicastSetup.encodeDownlink([command])).toThrow(reason);
    },
  );

  it('given a session without error and no TimeToStart, when encoded, then it is refused', () => {
    const answer: MulticastSetupUplink = {
      type: 'McClassCSessionAns',
      mcGroupId: 0,
      dataRateError: false,
      frequencyError: false,
      mcGroupUndefined: false,
    };

    expect(() => multicastSetup.encodeUplink([answer])).toThrow('needs timeToStart');
  });

  it.each([
    [1, 0],
    [3600, 12],
    [4096, 12],
    [32768, 15],
    [32769, undefined],
  ])(
    'given a session of %d s, when the timeout is chosen, then SessionTimeOut is %s',
    (seconds, expected) => {
      expect(sessionTimeOutFor(seconds)).toBe(expected);
    },
  );
});
