import type { CampaignDefinition, CampaignEvent, TargetDevice } from './campaign-events';
import { decideCampaign, type CampaignCommand, type DeviceObservation } from './campaign';
import { evolveCampaign, initialCampaignState, type CampaignState } from './campaign-state';

export const T0 = Date.parse('2026-12-02T10:00:00Z');
export const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

export function definition(overrides: Partial<CampaignDefinition> = {}): CampaignDefinition {
  return {
    campaignId: 'c1',
    name: 'meters to 1.5.0',
    artifact: {
      artifactId: 'a1',
      version: '1.5.0',
      models: ['meter'],
      hardwareRevisions: [],
      sha256: 'ab'.repeat(32),
      size: 1000,
    },
    targets: { kind: 'query', model: 'meter', tags: [], region: null, firmwareVersion: null },
    mode: 'snapshot',
    rollout: { canaryCount: null, canaryPercent: null, waveCount: 2, baseWaveSize: null, growthFactor: null },
    successThresholdPercent: 90,
    errorThreshold: { percent: 5, minimumFinished: 4, action: 'pause' },
    maxConcurrency: 100,
    stageTimeoutSeconds: { download: 600, install: 300, verify: 600 },
    retry: { maxAttempts: 3, baseDelaySeconds: 10 },
    batteryThresholdPercent: 20,
    maintenanceWindow: null,
    startAt: null,
    endAt: null,
    allowDowngrade: false,
    downgradeReason: null,
    requireApproval: true,
    createdBy: 'alice',
    ...overrides,
  };
}

export const targets = (count: number, waves: number): TargetDevice[] =>
  Array.from({ length: count }, (_, i) => ({
    deviceId: `d${i}`,
    wave: Math.floor((i * waves) / count),
    fromVersion: '1.4.0',
  }));

export const healthy = (overrides: Partial<DeviceObservation> = {}): DeviceObservation => ({
  status: 'active',
  batteryPercent: 80,
  firmwareVersion: { value: '1.4.0', at: at(-100) },
  updateState: { value: 0, at: at(-100) },
  updateResult: { value: 0, at: at(-100) },
  commands: new Map(),
  ...overrides,
});

/** Runs commands against a campaign, folding what they decide, like the store does. */
export class CampaignScenario {
  state: CampaignState = initialCampaignState();
  readonly history: CampaignEvent[] = [];
  observations = new Map<string, DeviceObservation>();

  given(...commands: CampaignCommand[]): this {
    for (const c of commands) this.when(c, at(0));
    return this;
  }

  when(command: CampaignCommand, now = at(0)): CampaignEvent[] {
    const events = decideCampaign(command, this.state);
    for (const e of events) this.state = evolveCampaign(this.state, e, now);
    this.history.push(...events);
    return events;
  }

  advance(seconds: number): CampaignEvent[] {
    return this.when(
      {
        type: 'AdvanceCampaign',
        now: at(seconds),
        observations: this.observations,
        commandId: (deviceId, attempt, step) => `${deviceId}:${attempt}:${step}`,
      },
      at(seconds),
    );
  }

  observe(deviceId: string, change: Partial<DeviceObservation>): void {
    this.observations.set(deviceId, { ...(this.observations.get(deviceId) ?? healthy()), ...change });
  }

  status(deviceId: string): string | undefined {
    return this.state.devices.get(deviceId)?.status;
  }
}

/** A running campaign of `count` devices in `waves` waves, approved by someone else. */
export function runningCampaign(count: number, waves: number, overrides: Partial<CampaignDefinition> = {}) {
  const scenario = new CampaignScenario().given(
    { type: 'CreateCampaign', definition: definition(overrides), targets: targets(count, waves) },
    { type: 'ApproveCampaign', approver: 'bob' },
  );
  for (let i = 0; i < count; i++) scenario.observe(`d${i}`, {});
  return scenario;
}

/** Plays a device's whole successful update from Downloading: downloaded, installed, new version. */
export function updateDevice(s: CampaignScenario, deviceId: string, seconds: number): void {
  s.observe(deviceId, { updateState: { value: 2, at: at(seconds) } });
  s.advance(seconds);
  s.observe(deviceId, {
    updateState: { value: 0, at: at(seconds + 1) },
    updateResult: { value: 1, at: at(seconds + 1) },
    firmwareVersion: { value: '1.5.0', at: at(seconds + 1) },
  });
}
