import { verifyFirmwarePackage, type TrustedKey } from '@fleet/firmware';
import {
  CLOCK_SYNC_PACKAGE_ID,
  CLOCK_SYNC_PORT,
  clockSync,
  FRAGMENTATION_PACKAGE_ID,
  FRAGMENTATION_PORT,
  FragmentDecoder,
  fragmentationV1,
  gpsSecondsOf,
  MULTICAST_SETUP_PACKAGE_ID,
  MULTICAST_SETUP_PORT,
  multicastSetup,
  type ClockSyncDownlink,
  type ClockSyncUplink,
  type FragmentationDownlink,
  type FragmentationUplink,
  type MulticastSetupDownlink,
  type MulticastSetupUplink,
} from '@fleet/lorawan-fuota';
import type { Random } from '../device/random';

/** An uplink payload for the device's next class A uplink. */
export interface Frame {
  readonly fPort: number;
  readonly bytes: Uint8Array;
}

/** What the block brought once complete: a verified package to apply, or a refusal. */
export type BlockOutcome =
  { readonly kind: 'apply'; readonly version: string } | { readonly kind: 'refuse'; readonly reason: string };

export interface Reaction {
  readonly answers: readonly Frame[];
  readonly outcome?: BlockOutcome;
}

export interface FuotaDeviceOptions {
  /** The device's clock minus the real time until it syncs, ms. */
  readonly clockOffsetMs: number;
  /** Probability of missing a multicast fragment. */
  readonly fragmentLoss: number;
  readonly random: Random;
  readonly maxBlockBytes: number;
  /** The manufacturer keys the device trusts (loaded once the simulation starts). */
  readonly trustedKeys: () => readonly TrustedKey[];
}

export interface FuotaDeviceStats {
  multicastReceived: number;
  multicastLost: number;
  unicastFragments: number;
}

interface FragSession {
  readonly fragIndex: number;
  readonly decoder: FragmentDecoder;
  complete: boolean;
}

const NONE: Reaction = { answers: [] };

/**
 * The LoRaWAN application-layer packages of one simulated device: TS003 clock sync (FPort 202),
 * TS005 multicast setup (200) and TS004 v1 fragmentation (201), answering as LoRaMac-node's
 * packages do; multicast fragments are taken while the class C session is open (by the device's
 * own clock) and lost at random; the completed block is verified like any firmware package.
 * No I/O: the network server simulation sends the answers and applies the outcome.
 */
export class LorawanFuotaDevice {
  readonly stats: FuotaDeviceStats = { multicastReceived: 0, multicastLost: 0, unicastFragments: 0 };
  private correctionSeconds = 0;
  private syncState: 'never' | 'asked' | 'synced' = 'never';
  private token = 0;
  private group?: { readonly mcGroupId: number; readonly mcAddr: string };
  private classC?: {
    readonly mcGroupId: number;
    readonly sessionTime: number;
    readonly sessionTimeOut: number;
  };
  private session?: FragSession;

  constructor(private readonly options: FuotaDeviceOptions) {}

  /** The device's idea of the time, GPS seconds: its own clock, corrected by clock sync. */
  gpsSeconds(nowMs: number): number {
    return (gpsSecondsOf(nowMs + this.options.clockOffsetMs) + this.correctionSeconds) >>> 0;
  }

  get synced(): boolean {
    return this.syncState === 'synced';
  }

  /** Whether the device listens to this multicast group now: its class C session is open. */
  listensTo(mcAddr: string, nowMs: number): boolean {
    const { group, classC } = this;
    if (!group || !classC || group.mcAddr !== mcAddr.toLowerCase() || classC.mcGroupId !== group.mcGroupId)
      return false;
    const elapsed = (this.gpsSeconds(nowMs) - classC.sessionTime) | 0;
    return elapsed >= 0 && elapsed < 2 ** classC.sessionTimeOut;
  }

  /** A unicast downlink on one of the package ports. @throws ValidationError for a malformed frame */
  onUnicast(fPort: number, bytes: Uint8Array, nowMs: number): Reaction {
    switch (fPort) {
      case CLOCK_SYNC_PORT:
        return this.clockSync(clockSync.decodeDownlink(bytes), nowMs);
      case MULTICAST_SETUP_PORT:
        return this.withSync(this.multicastSetup(multicastSetup.decodeDownlink(bytes), nowMs), nowMs);
      case FRAGMENTATION_PORT:
        return this.withSync(this.fragmentation(fragmentationV1.decodeDownlink(bytes), false), nowMs);
      default:
        return NONE;
    }
  }

  /** A multicast downlink of a group the device may or may not belong to. */
  onMulticast(mcAddr: string, fPort: number, bytes: Uint8Array, nowMs: number): Reaction {
    if (fPort !== FRAGMENTATION_PORT || !this.listensTo(mcAddr, nowMs)) return NONE;
    return this.fragmentation(fragmentationV1.decodeDownlink(bytes), true);
  }

  /** The first setup command makes the device check its clock (TS003 AppTimeReq, answer required). */
  private withSync(reaction: Reaction, nowMs: number): Reaction {
    if (this.syncState !== 'never') return reaction;
    this.syncState = 'asked';
    this.token = (this.token + 1) & 0x0f;
    const request: ClockSyncUplink = {
      type: 'AppTimeReq',
      deviceTime: this.gpsSeconds(nowMs),
      tokenReq: this.token,
      ansRequired: true,
    };
    return {
      ...reaction,
      answers: [{ fPort: CLOCK_SYNC_PORT, bytes: clockSync.encodeUplink([request]) }, ...reaction.answers],
    };
  }

  private clockSync(commands: readonly ClockSyncDownlink[], nowMs: number): Reaction {
    const answers: ClockSyncUplink[] = [];
    for (const c of commands) {
      if (c.type === 'PackageVersionReq')
        answers.push({
          type: 'PackageVersionAns',
          packageIdentifier: CLOCK_SYNC_PACKAGE_ID,
          packageVersion: 1,
        });
      // An answer to an older request is stale: the device ignores it (TS003 §3.1).
      if (c.type === 'AppTimeAns' && c.tokenAns === this.token && this.syncState === 'asked') {
        this.correctionSeconds += c.timeCorrection;
        this.syncState = 'synced';
      }
      if (c.type === 'ForceDeviceResyncReq' && c.nbTransmissions > 0) {
        this.syncState = 'asked';
        this.token = (this.token + 1) & 0x0f;
        answers.push({
          type: 'AppTimeReq',
          deviceTime: this.gpsSeconds(nowMs),
          tokenReq: this.token,
          ansRequired: true,
        });
      }
    }
    return frame(CLOCK_SYNC_PORT, answers, clockSync.encodeUplink);
  }

  private multicastSetup(commands: readonly MulticastSetupDownlink[], nowMs: number): Reaction {
    const answers: MulticastSetupUplink[] = [];
    for (const c of commands) {
      switch (c.type) {
        case 'PackageVersionReq':
          answers.push({
            type: 'PackageVersionAns',
            packageIdentifier: MULTICAST_SETUP_PACKAGE_ID,
            packageVersion: 1,
          });
          break;
        case 'McGroupSetupReq':
          // McKey_encrypted would be decrypted with McKEKey here; the simulation trusts it as sent.
          this.group = { mcGroupId: c.mcGroupId, mcAddr: c.mcAddr.toLowerCase() };
          answers.push({ type: 'McGroupSetupAns', mcGroupId: c.mcGroupId, idError: false });
          break;
        case 'McGroupStatusReq': {
          const groups = this.group && (c.reqGroupMask >> this.group.mcGroupId) & 1 ? [this.group] : [];
          answers.push({ type: 'McGroupStatusAns', nbTotalGroups: this.group ? 1 : 0, groups });
          break;
        }
        case 'McGroupDeleteReq': {
          const defined = this.group?.mcGroupId === c.mcGroupId;
          if (defined) this.group = undefined;
          answers.push({ type: 'McGroupDeleteAns', mcGroupId: c.mcGroupId, mcGroupUndefined: !defined });
          break;
        }
        case 'McClassCSessionReq': {
          const mcGroupUndefined = this.group?.mcGroupId !== c.mcGroupId;
          const dataRateError = c.dataRate > 6;
          const frequencyError = c.dlFrequencyHz < 863_000_000 || c.dlFrequencyHz > 870_000_000;
          const ok = !mcGroupUndefined && !dataRateError && !frequencyError;
          if (ok)
            this.classC = {
              mcGroupId: c.mcGroupId,
              sessionTime: c.sessionTime,
              sessionTimeOut: c.sessionTimeOut,
            };
          const timeToStart = Math.max(0, (c.sessionTime - this.gpsSeconds(nowMs)) | 0);
          answers.push({
            type: 'McClassCSessionAns',
            mcGroupId: c.mcGroupId,
            dataRateError,
            frequencyError,
            mcGroupUndefined,
            ...(ok && { timeToStart }),
          });
          break;
        }
        case 'McClassBSessionReq':
          // Class B needs beacons the simulation does not have: the device declines the data rate.
          answers.push({
            type: 'McClassBSessionAns',
            mcGroupId: c.mcGroupId,
            dataRateError: true,
            frequencyError: false,
            mcGroupUndefined: false,
          });
          break;
      }
    }
    return frame(MULTICAST_SETUP_PORT, answers, multicastSetup.encodeUplink);
  }

  private fragmentation(commands: readonly FragmentationDownlink[], multicast: boolean): Reaction {
    const answers: FragmentationUplink[] = [];
    let outcome: BlockOutcome | undefined;
    for (const c of commands) {
      switch (c.type) {
        case 'PackageVersionReq':
          answers.push({
            type: 'PackageVersionAns',
            packageIdentifier: FRAGMENTATION_PACKAGE_ID,
            packageVersion: 1,
          });
          break;
        case 'FragSessionSetupReq':
          answers.push(this.setup(c));
          break;
        case 'FragSessionDeleteReq': {
          const exists = this.session?.fragIndex === c.fragIndex;
          if (exists) this.session = undefined;
          answers.push({
            type: 'FragSessionDeleteAns',
            fragIndex: c.fragIndex,
            sessionDoesNotExist: !exists,
          });
          break;
        }
        case 'FragSessionStatusReq': {
          const s = this.session;
          if (!s || s.fragIndex !== c.fragIndex || (!c.participants && s.complete)) break;
          const status = s.decoder.status();
          answers.push({
            type: 'FragSessionStatusAns',
            fragIndex: s.fragIndex,
            nbFragReceived: Math.min(0x3fff, status.received),
            missingFrag: Math.min(255, status.missing),
            notEnoughMatrixMemory: status.notEnoughMemory,
          });
          break;
        }
        case 'DataFragment':
          outcome = this.fragment(c, multicast) ?? outcome;
          break;
        case 'FragDataBlockReceivedAns':
          break;
      }
    }
    const reaction = frame(FRAGMENTATION_PORT, answers, fragmentationV1.encodeUplink);
    return outcome ? { ...reaction, outcome } : reaction;
  }

  private setup(c: Extract<FragmentationDownlink, { type: 'FragSessionSetupReq' }>): FragmentationUplink {
    const refusal = {
      encodingUnsupported: c.fragmentationMatrix !== 0,
      notEnoughMemory: c.nbFrag * c.fragSize > this.options.maxBlockBytes,
      // One fragmentation session at a time, index 0, like LoRaMac-node's default build.
      fragSessionIndexNotSupported: c.fragIndex !== 0,
      wrongDescriptor: false,
    };
    if (!Object.values(refusal).some(Boolean)) {
      this.session = {
        fragIndex: c.fragIndex,
        decoder: new FragmentDecoder({
          uncodedFragments: c.nbFrag,
          fragmentBytes: c.fragSize,
          padding: c.padding,
        }),
        complete: false,
      };
    }
    return { type: 'FragSessionSetupAns', fragIndex: c.fragIndex, ...refusal };
  }

  private fragment(
    c: Extract<FragmentationDownlink, { type: 'DataFragment' }>,
    multicast: boolean,
  ): BlockOutcome | undefined {
    const s = this.session;
    if (!s || s.fragIndex !== c.fragIndex || s.complete) return undefined;
    if (multicast && this.options.random() < this.options.fragmentLoss) {
      this.stats.multicastLost += 1;
      return undefined;
    }
    this.stats[multicast ? 'multicastReceived' : 'unicastFragments'] += 1;
    s.decoder.push(c.n, c.payload);
    if (!s.decoder.status().done) return undefined;
    s.complete = true;
    const check = verifyFirmwarePackage(Buffer.from(s.decoder.block()), this.options.trustedKeys());
    return check.ok
      ? { kind: 'apply', version: check.header.version }
      : { kind: 'refuse', reason: `${check.refusal}: ${check.detail}` };
  }
}

function frame<C>(fPort: number, commands: readonly C[], encode: (c: readonly C[]) => Uint8Array): Reaction {
  return commands.length === 0 ? NONE : { answers: [{ fPort, bytes: encode(commands) }] };
}
