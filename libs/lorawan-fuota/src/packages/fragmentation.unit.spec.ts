import { encodeBlock } from '../fec/encoder';
import {
  blockAckDelaySeconds,
  dataFragmentPayloads,
  fragmentationV1,
  fragmentationV2,
  fragSessionSetupFor,
  type FragmentationDownlink,
  type FragmentationUplink,
  type FragSessionSetupReq,
} from './fragmentation';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.replace(/\s/g, ''), 'hex'));
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');

// Byte examples of brocaar/lorawan's applayer/fragmentation tests (an independent Go implementation).
const downlinks: [string, FragmentationDownlink, string][] = [
  ['PackageVersionReq', { type: 'PackageVersionReq' }, '00'],
  ['FragSessionStatusReq', { type: 'FragSessionStatusReq', fragIndex: 3, participants: true }, '01 07'],
  [
    'FragSessionSetupReq',
    {
      type: 'FragSessionSetupReq',
      fragIndex: 3,
      mcGroupMask: 0b0101,
      nbFrag: 513,
      fragSize: 255,
      fragmentationMatrix: 5,
      blockAckDelay: 4,
      padding: 129,
      descriptor: 0x04030201,
    },
    '02 35 0102 ff 2c 81 01020304',
  ],
  ['FragSessionDeleteReq', { type: 'FragSessionDeleteReq', fragIndex: 3 }, '03 03'],
  [
    'DataFragment',
    { type: 'DataFragment', fragIndex: 3, n: 513, payload: bytes('010203040506') },
    '08 01c2 010203040506',
  ],
];

const uplinks: [string, FragmentationUplink, string][] = [
  ['PackageVersionAns', { type: 'PackageVersionAns', packageIdentifier: 1, packageVersion: 1 }, '00 01 01'],
  [
    'FragSessionStatusAns',
    {
      type: 'FragSessionStatusAns',
      fragIndex: 3,
      nbFragReceived: 513,
      missingFrag: 255,
      notEnoughMatrixMemory: true,
    },
    '01 01c2 ff 01',
  ],
  [
    'FragSessionSetupAns',
    {
      type: 'FragSessionSetupAns',
      fragIndex: 3,
      encodingUnsupported: true,
      notEnoughMemory: true,
      fragSessionIndexNotSupported: true,
      wrongDescriptor: true,
    },
    '02 cf',
  ],
  [
    'FragSessionDeleteAns',
    { type: 'FragSessionDeleteAns', fragIndex: 3, sessionDoesNotExist: true },
    '03 07',
  ],
];

describe('TS004 v1.0.0 commands (FPort 201)', () => {
  it.each(downlinks)(
    'given a %s, when encoded and decoded, then the bytes are the reference ones and it round-trips',
    (_, command, wire) => {
      expect(hex(fragmentationV1.encodeDownlink([command]))).toBe(wire.replace(/\s/g, ''));
      expect(fragmentationV1.decodeDownlink(bytes(wire))).toEqual([command]);
    },
  );

  it.each(uplinks)(
    'given a %s, when encoded and decoded, then the bytes are the reference ones and it round-trips',
    (_, command, wire) => {
      expect(hex(fragmentationV1.encodeUplink([command]))).toBe(wire.replace(/\s/g, ''));
      expect(fragmentationV1.decodeUplink(bytes(wire))).toEqual([command]);
    },
  );

  it('given several commands in one frame, when decoded, then each is read in turn', () => {
    expect(fragmentationV1.decodeDownlink(bytes('00 01 07 03 02'))).toEqual([
      { type: 'PackageVersionReq' },
      { type: 'FragSessionStatusReq', fragIndex: 3, participants: true },
      { type: 'FragSessionDeleteReq', fragIndex: 2 },
    ]);
  });

  it.each([
    ['02 35 0102 ff 2c 81 010203', 'FragSessionSetupReq: needs 1 more bytes, 0 left'],
    ['01', 'FragSessionStatusReq: needs 1 more bytes'],
    ['08 01', 'DataFragment: needs 1 more bytes'],
    ['07', 'unknown CID 0x07'],
  ])('given the truncated or unknown frame %s, when decoded, then it is refused', (wire, reason) => {
    expect(() => fragmentationV1.decodeDownlink(bytes(wire))).toThrow(reason);
  });

  it.each([
    [{ type: 'FragSessionDeleteReq', fragIndex: 4 }, 'FragSessionDeleteReq.fragIndex 4 is not 0-3'],
    [{ type: 'DataFragment', fragIndex: 0, n: 0x4000, payload: new Uint8Array(1) }, 'DataFragment.n 16384'],
    [{ type: 'FragDataBlockReceivedAns', fragIndex: 0 }, 'not a downlink command'],
  ] as [FragmentationDownlink, string][])(
    'given %j, when encoded as v1, then it is refused',
    (command, reason) => {
      expect(() => fragmentationV1.encodeDownlink([command])).toThrow(reason);
    },
  );

  it('given an encoded block, when announced and sent, then the setup and the DataFragments describe it', () => {
    const encoded = encodeBlock(new Uint8Array(95).fill(0xaa), 10, 2);

    const setup = fragSessionSetupFor(encoded, {
      fragIndex: 1,
      mcGroupMask: 1,
      blockAckDelay: 0,
      descriptor: 0,
    });
    const frames = dataFragmentPayloads(encoded, 1);

    expect(setup).toMatchObject({ nbFrag: 10, fragSize: 10, padding: 5, fragmentationMatrix: 0 });
    expect(frames).toHaveLength(12);
    expect(hex(frames[11]!.subarray(0, 3))).toBe('080c40');
    expect(fragmentationV1.decodeDownlink(frames[0]!)).toEqual([
      { type: 'DataFragment', fragIndex: 1, n: 1, payload: encoded.fragments[0] },
    ]);
  });

  it('given BlockAckDelay codes, when converted, then the answer window is 2^(code+4) seconds', () => {
    expect(blockAckDelaySeconds(0)).toBe(16);
    expect(blockAckDelaySeconds(7)).toBe(2048);
  });
});

describe('TS004 v2.0.0 differences', () => {
  // Layout as Semtech's LoRa Basics Modem v2.0.0 package parses it (fields in order, little-endian).
  const setupV2: FragSessionSetupReq = {
    type: 'FragSessionSetupReq',
    fragIndex: 2,
    mcGroupMask: 0b0101,
    nbFrag: 100,
    fragSize: 20,
    fragmentationMatrix: 0,
    blockAckDelay: 5,
    padding: 7,
    descriptor: 0x44332211,
    ackReception: true,
    sessionCnt: 0x0102,
    mic: bytes('deadbeef'),
  };

  it('given a v2 setup, when encoded, then SessionCnt and the MIC follow the descriptor and AckReception is bit 6 of Control', () => {
    expect(hex(fragmentationV2.encodeDownlink([setupV2]))).toBe('02256400144507112233440201deadbeef');
    expect(fragmentationV2.decodeDownlink(fragmentationV2.encodeDownlink([setupV2]))).toEqual([setupV2]);
  });

  it('given a v2 setup without its MIC, when encoded, then it is refused', () => {
    const { mic: _mic, ...withoutMic } = setupV2;

    expect(() => fragmentationV2.encodeDownlink([withoutMic])).toThrow('needs sessionCnt and mic');
  });

  it('given a v2 status answer, when encoded, then the status byte comes first', () => {
    const answer: FragmentationUplink = {
      type: 'FragSessionStatusAns',
      fragIndex: 1,
      nbFragReceived: 100,
      missingFrag: 3,
      notEnoughMatrixMemory: false,
      micError: true,
      sessionDoesNotExist: false,
    };

    expect(hex(fragmentationV2.encodeUplink([answer]))).toBe('0102644003');
    expect(fragmentationV2.decodeUplink(bytes('0102644003'))).toEqual([answer]);
  });

  it('given the block-received exchange and a replayed SessionCnt, when encoded, then they use CID 4 and bit 4', () => {
    expect(
      hex(fragmentationV2.encodeUplink([{ type: 'FragDataBlockReceivedReq', fragIndex: 2, micError: true }])),
    ).toBe('0406');
    expect(fragmentationV2.decodeDownlink(bytes('0402'))).toEqual([
      { type: 'FragDataBlockReceivedAns', fragIndex: 2 },
    ]);
    expect(fragmentationV2.decodeUplink(bytes('0250'))).toEqual([
      expect.objectContaining({ type: 'FragSessionSetupAns', fragIndex: 1, sessionCntReplay: true }),
    ]);
  });
});
