import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  encodeFirmwarePackage,
  sha256Hex,
  signFirmware,
  trustedKeyFromPem,
  type TrustedKey,
} from '@fleet/firmware';
import {
  clockSync,
  dataFragmentPayloads,
  encodeBlock,
  fragmentationV1,
  fragSessionSetupFor,
  gpsSecondsOf,
  multicastSetup,
  seededRandom,
} from '@fleet/lorawan-fuota';
import { LorawanFuotaDevice, type Reaction } from './fuota-device';
import { mcAddrOfGroupEui } from './multicast-group';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const trusted: TrustedKey = trustedKeyFromPem(
  'test',
  createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string,
);
const image = Buffer.from(Array.from({ length: 5_000 }, (_, i) => (i * 31) & 0xff));
const signed = (version: string, body = image) =>
  encodeFirmwarePackage(
    {
      algorithm: 'ecdsa-p256',
      keyId: 'test',
      version,
      signature: signFirmware(
        { sha256: sha256Hex(body), size: body.length, version },
        privateKey,
        'ecdsa-p256',
      ),
    },
    body,
  );

const T0 = Date.parse('2026-03-01T10:00:00Z');
const MC_ADDR = '01a2b3c4';

function device(options: { loss?: number; skewMs?: number } = {}) {
  return new LorawanFuotaDevice({
    clockOffsetMs: options.skewMs ?? 0,
    fragmentLoss: options.loss ?? 0,
    random: seededRandom(7),
    maxBlockBytes: 64 * 1024,
    trustedKeys: () => [trusted],
  });
}

const decodeAnswers = (reaction: Reaction) =>
  reaction.answers.map(({ fPort, bytes }) =>
    fPort === 202
      ? clockSync.decodeUplink(bytes)
      : fPort === 200
        ? multicastSetup.decodeUplink(bytes)
        : fragmentationV1.decodeUplink(bytes),
  );

/** Sets the device up for a block, its class C session starting at T0 + 10 s. */
function setUp(d: LorawanFuotaDevice, block: Buffer, now = T0) {
  const encoded = encodeBlock(block, 200, Math.ceil(block.length / 200 / 2));
  const answers = [
    d.onUnicast(
      200,
      multicastSetup.encodeDownlink([
        {
          type: 'McGroupSetupReq',
          mcGroupId: 0,
          mcAddr: MC_ADDR,
          mcKeyEncrypted: new Uint8Array(16),
          minMcFCount: 0,
          maxMcFCount: 1e6,
        },
      ]),
      now,
    ),
    d.onUnicast(
      201,
      fragmentationV1.encodeDownlink([
        fragSessionSetupFor(encoded, { fragIndex: 0, mcGroupMask: 1, blockAckDelay: 0, descriptor: 0 }),
      ]),
      now,
    ),
    d.onUnicast(
      200,
      multicastSetup.encodeDownlink([
        {
          type: 'McClassCSessionReq',
          mcGroupId: 0,
          sessionTime: gpsSecondsOf(T0 + 10_000),
          sessionTimeOut: 8,
          dlFrequencyHz: 869_525_000,
          dataRate: 5,
        },
      ]),
      now,
    ),
  ];
  return { encoded, frames: dataFragmentPayloads(encoded), answers: answers.flatMap(decodeAnswers) };
}

describe('a simulated LoRaWAN device in a multicast firmware session', () => {
  it('given the setup, when it arrives, then the device asks for the time first and accepts the group, the fragmentation session and class C', () => {
    const { answers } = setUp(device({ skewMs: -5_000 }), signed('2.0.0'));

    expect(answers).toEqual([
      [{ type: 'AppTimeReq', deviceTime: gpsSecondsOf(T0 - 5_000), tokenReq: 1, ansRequired: true }],
      [{ type: 'McGroupSetupAns', mcGroupId: 0, idError: false }],
      [
        expect.objectContaining({
          type: 'FragSessionSetupAns',
          notEnoughMemory: false,
          encodingUnsupported: false,
        }),
      ],
      // Its clock is 5 s slow: it thinks the session starts in 15 s.
      [expect.objectContaining({ type: 'McClassCSessionAns', timeToStart: 15 })],
    ]);
  });

  it('given a slow clock, when the AppTimeAns corrects it, then the device listens from SessionTime, not 5 s later', () => {
    const d = device({ skewMs: -5_000 });
    setUp(d, signed('2.0.0'));

    expect(d.listensTo(MC_ADDR, T0 + 11_000)).toBe(false);
    d.onUnicast(
      202,
      clockSync.encodeDownlink([{ type: 'AppTimeAns', timeCorrection: 5, tokenAns: 1 }]),
      T0 + 1_000,
    );

    expect(d.synced).toBe(true);
    expect(d.listensTo(MC_ADDR, T0 + 9_000)).toBe(false);
    expect(d.listensTo(MC_ADDR, T0 + 11_000)).toBe(true);
    expect(d.listensTo(MC_ADDR, T0 + 10_000 + 256_000)).toBe(false);
    expect(d.listensTo('0badcafe', T0 + 11_000)).toBe(false);
  });

  it('given fragments with losses, when the block completes, then the package is verified and applied, and the status says nothing is missing', () => {
    const d = device({ loss: 0.1 });
    const { frames } = setUp(d, signed('2.0.0'));

    const outcomes = frames.map((f) => d.onMulticast(MC_ADDR, 201, f, T0 + 11_000).outcome).filter(Boolean);
    const status = decodeAnswers(
      d.onUnicast(
        201,
        fragmentationV1.encodeDownlink([{ type: 'FragSessionStatusReq', fragIndex: 0, participants: true }]),
        T0 + 20_000,
      ),
    );

    expect(d.stats.multicastLost).toBeGreaterThan(0);
    expect(outcomes).toEqual([{ kind: 'apply', version: '2.0.0' }]);
    expect(status).toEqual([[expect.objectContaining({ type: 'FragSessionStatusAns', missingFrag: 0 })]]);
  });

  it('given fragments before SessionTime, when they arrive, then the device is not listening yet and ignores them', () => {
    const d = device();
    const { frames, encoded } = setUp(d, signed('2.0.0'));

    frames.forEach((f) => d.onMulticast(MC_ADDR, 201, f, T0 + 5_000));
    const [[status]] = decodeAnswers(
      d.onUnicast(
        201,
        fragmentationV1.encodeDownlink([{ type: 'FragSessionStatusReq', fragIndex: 0, participants: true }]),
        T0,
      ),
    ) as unknown as [[{ nbFragReceived: number; missingFrag: number }]];

    expect(status).toMatchObject({ nbFragReceived: 0, missingFrag: encoded.uncodedFragments });
  });

  it('given a missing uncoded fragment, when a unicast coded fragment repairs it, then the block completes', () => {
    const d = device();
    const { frames, encoded } = setUp(d, signed('2.0.0'));
    frames.slice(1, encoded.uncodedFragments).forEach((f) => d.onMulticast(MC_ADDR, 201, f, T0 + 11_000));

    const repaired = d.onUnicast(201, frames[encoded.uncodedFragments]!, T0 + 30_000);

    expect(repaired.outcome).toEqual({ kind: 'apply', version: '2.0.0' });
    expect(d.stats.unicastFragments).toBe(1);
  });

  it('given a package whose image was tampered with, when the block completes, then the device refuses it', () => {
    const tampered = signed('2.0.0');
    tampered[tampered.length - 1]! ^= 0xff;
    const d = device();
    const { frames } = setUp(d, tampered);

    const outcome = frames.map((f) => d.onMulticast(MC_ADDR, 201, f, T0 + 11_000).outcome).find(Boolean);

    expect(outcome).toEqual({ kind: 'refuse', reason: expect.stringMatching(/^hash-mismatch: SHA-256/) });
  });

  it('given a block larger than its flash or another fragmentation index, when set up, then it says so', () => {
    const d = device();
    const answer = decodeAnswers(
      d.onUnicast(
        201,
        fragmentationV1.encodeDownlink([
          {
            type: 'FragSessionSetupReq',
            fragIndex: 1,
            mcGroupMask: 1,
            nbFrag: 1000,
            fragSize: 200,
            fragmentationMatrix: 0,
            blockAckDelay: 0,
            padding: 0,
            descriptor: 0,
          },
          { type: 'PackageVersionReq' },
        ]),
        T0,
      ),
    );

    expect(answer[1]).toEqual([
      expect.objectContaining({
        type: 'FragSessionSetupAns',
        fragIndex: 1,
        notEnoughMemory: true,
        fragSessionIndexNotSupported: true,
      }),
      { type: 'PackageVersionAns', packageIdentifier: 3, packageVersion: 1 },
    ]);
  });

  it('given DevEUIs, when read as multicast groups, then only ffffffff… ones are', () => {
    expect(mcAddrOfGroupEui('FFFFFFFF01A2B3C4')).toBe('01a2b3c4');
    expect(mcAddrOfGroupEui('a84041ffff1f0001')).toBeUndefined();
  });
});
