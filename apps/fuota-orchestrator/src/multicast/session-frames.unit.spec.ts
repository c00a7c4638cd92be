import { encodeBlock, FragmentDecoder, fragmentationV1, multicastSetup } from '@fleet/lorawan-fuota';
import type { MulticastSessionState } from './multicast-session';
import { dataFragment, fragmentPayload, setupFrames } from './session-frames';

const block = Uint8Array.from({ length: 1_000 }, (_, i) => (i * 37 + 11) & 0xff);

describe('session frames', () => {
  it('given a block, when fragments are computed on demand, then they are the encoder’s, uncoded and coded', () => {
    const encoded = encodeBlock(block, 48, 30);

    const computed = encoded.fragments.map((_, i) =>
      fragmentPayload(block, { fragmentBytes: 48, uncodedFragments: 21 }, i + 1),
    );

    expect(computed).toEqual(encoded.fragments);
  });

  it('given only coded fragments beyond the encoder’s run, when decoded, then they rebuild the block', () => {
    const layout = { fragmentBytes: 48, uncodedFragments: 21, padding: 21 * 48 - 1_000 };
    const decoder = new FragmentDecoder(layout);

    for (let n = 22 + 500; !decoder.status().done; n += 1) decoder.push(n, fragmentPayload(block, layout, n));

    expect(decoder.block()).toEqual(block);
  });

  it('given a session, when the setup is built, then it joins the group, opens fragmentation session 0 and schedules class C, in that order', () => {
    const state = {
      group: {
        mcGroupId: 0,
        fragIndex: 0,
        mcAddr: '01a2b3c4',
        sessionTime: 1_400_000_000,
        sessionTimeOut: 11,
        blockAckDelay: 1,
        descriptor: 7,
      },
      plan: {
        uncodedFragments: 429,
        fragmentBytes: 239,
        padding: 131,
        frequencyHz: 869_525_000,
        dataRate: 5,
      },
    } as unknown as MulticastSessionState;

    const [group, fragmentation, classC] = setupFrames(state, new Uint8Array(16).fill(9));

    expect(group!.fPort).toBe(200);
    expect(multicastSetup.decodeDownlink(group!.bytes)).toEqual([
      expect.objectContaining({
        type: 'McGroupSetupReq',
        mcAddr: '01a2b3c4',
        mcKeyEncrypted: new Uint8Array(16).fill(9),
      }),
    ]);
    expect(fragmentation!.fPort).toBe(201);
    expect(fragmentationV1.decodeDownlink(fragmentation!.bytes)).toEqual([
      expect.objectContaining({
        nbFrag: 429,
        fragSize: 239,
        padding: 131,
        mcGroupMask: 1,
        blockAckDelay: 1,
        descriptor: 7,
      }),
    ]);
    expect(multicastSetup.decodeDownlink(classC!.bytes)).toEqual([
      expect.objectContaining({
        type: 'McClassCSessionReq',
        sessionTime: 1_400_000_000,
        sessionTimeOut: 11,
        dataRate: 5,
      }),
    ]);
    const fragment = dataFragment(
      { ...state, plan: { ...state.plan, uncodedFragments: 5, fragmentBytes: 200 } },
      block,
      7,
    );
    expect(fragmentationV1.decodeDownlink(fragment.bytes)).toEqual([
      {
        type: 'DataFragment',
        fragIndex: 0,
        n: 7,
        payload: fragmentPayload(block, { fragmentBytes: 200, uncodedFragments: 5 }, 7),
      },
    ]);
  });
});
