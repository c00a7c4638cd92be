import {
  at,
  CampaignScenario,
  definition,
  runningCampaign,
  targets,
  updateDevice,
} from './campaign.test-support';
import { planWaves } from './waves';

const types = (events: readonly { type: string }[]) => events.map((e) => e.type);

describe('a campaign', () => {
  describe('approval', () => {
    it('refuses an approval by its creator (four eyes), and accepts another approver', () => {
      const s = new CampaignScenario().given({
        type: 'CreateCampaign',
        definition: definition(),
        targets: targets(4, 2),
      });
      expect(() => s.when({ type: 'ApproveCampaign', approver: 'alice' })).toThrow('four-eyes');
      expect(types(s.when({ type: 'ApproveCampaign', approver: 'bob' }))).toEqual(['CampaignApproved']);
    });

    it('does not start before it is approved, nor before its start time', () => {
      const s = new CampaignScenario().given({
        type: 'CreateCampaign',
        definition: definition({ startAt: at(60) }),
        targets: targets(4, 2),
      });
      expect(s.advance(0)).toEqual([]);
      s.when({ type: 'ApproveCampaign', approver: 'bob' });
      expect(s.advance(30)).toEqual([]);
      expect(types(s.advance(61)).slice(0, 2)).toEqual(['CampaignStarted', 'WaveStarted']);
    });
  });

  describe('a device update', () => {
    it('writes the package URI, installs once downloaded, and succeeds only on the new version', () => {
      const s = runningCampaign(2, 1);
      const started = s.advance(0);
      expect(types(started)).toEqual([
        'CampaignStarted',
        'WaveStarted',
        'DeviceUpdateStarted',
        'DeviceUpdateStarted',
      ]);
      expect(started[2]).toMatchObject({
        data: {
          deviceId: 'd0',
          attempt: 1,
          writeCommandId: 'd0:1:write-uri',
          observeCommandId: 'd0:1:observe',
        },
      });

      s.observe('d0', { updateState: { value: 1, at: at(5) } });
      expect(s.advance(5)).toEqual([]);
      s.observe('d0', { updateState: { value: 2, at: at(10) } });
      expect(types(s.advance(10))).toEqual(['DeviceUpdateProgressed', 'DeviceInstallRequested']);
      expect(s.status('d0')).toBe('downloaded');

      s.observe('d0', { updateState: { value: 3, at: at(12) } });
      expect(types(s.advance(12))).toEqual(['DeviceUpdateProgressed']);
      s.observe('d0', { updateResult: { value: 1, at: at(20) } });
      expect(s.advance(20)).toEqual([]); // a result alone is not proof: the version is
      s.observe('d0', {
        firmwareVersion: { value: '1.5.0', at: at(25) },
        updateState: { value: 0, at: at(25) },
      });
      expect(s.advance(25)).toEqual([
        {
          type: 'DeviceUpdateSucceeded',
          data: { campaignId: 'c1', deviceId: 'd0', attempt: 1, firmwareVersion: '1.5.0' },
        },
      ]);
    });

    it('ignores reports older than the attempt', () => {
      const s = runningCampaign(1, 1);
      s.observe('d0', { updateResult: { value: 8, at: at(-5) } });
      s.advance(0);
      expect(s.advance(1)).toEqual([]);
      expect(s.status('d0')).toBe('downloading');
    });

    it('retries a retriable failure with backoff, and gives up after the last attempt', () => {
      const s = runningCampaign(1, 1, { retry: { maxAttempts: 2, baseDelaySeconds: 10 } });
      s.advance(0);
      s.observe('d0', { updateResult: { value: 4, at: at(5) } }); // connection lost during download
      const [failed] = s.advance(5);
      expect(failed).toMatchObject({
        type: 'DeviceUpdateFailed',
        data: { resultCode: 4, retriable: true, retryAt: at(15), stage: 'downloading' },
      });
      expect(s.advance(10)).toEqual([]);
      expect(types(s.advance(15))).toEqual(['DeviceUpdateStarted']);
      s.observe('d0', { updateResult: { value: 4, at: at(20) } });
      expect(s.advance(20)[0]).toMatchObject({
        type: 'DeviceUpdateFailed',
        data: { retryAt: null, attempt: 2 },
      });
      expect(s.status('d0')).toBe('failed');
    });

    it('fails at once, without retry, on an integrity failure (bad signature or hash)', () => {
      const s = runningCampaign(1, 1);
      s.advance(0);
      s.observe('d0', { updateResult: { value: 5, at: at(3) } });
      expect(s.advance(3)[0]).toMatchObject({
        type: 'DeviceUpdateFailed',
        data: {
          resultCode: 5,
          retriable: false,
          retryAt: null,
          reason: expect.stringContaining('integrity'),
        },
      });
    });

    it('records an impossible state transition as a failure', () => {
      const s = runningCampaign(1, 1);
      s.advance(0);
      s.observe('d0', { updateState: { value: 3, at: at(2) } });
      expect(s.advance(2)[0]).toMatchObject({
        type: 'DeviceUpdateFailed',
        data: { reason: expect.stringContaining('impossible transition') },
      });
    });

    it('times a stuck download out, as a retriable failure', () => {
      const s = runningCampaign(1, 1);
      s.advance(0);
      expect(s.advance(600)).toEqual([]);
      expect(s.advance(601)[0]).toMatchObject({
        type: 'DeviceUpdateFailed',
        data: { retriable: true, reason: 'no download within 600 s' },
      });
    });

    it('waits, without failing, when the dispatcher refuses a step at a gate', () => {
      const s = runningCampaign(1, 1);
      s.advance(0);
      s.observe('d0', {
        commands: new Map([
          [
            'd0:1:write-uri',
            { status: 'refused' as const, gate: 'airtime', reason: 'duty cycle budget spent', at: at(1) },
          ],
        ]),
      });
      expect(s.advance(1)).toEqual([
        {
          type: 'DeviceUpdateGated',
          data: {
            campaignId: 'c1',
            deviceId: 'd0',
            attempt: 1,
            gate: 'airtime',
            reason: 'duty cycle budget spent',
          },
        },
      ]);
      expect(s.state.devices.get('d0')?.failures).toBe(0);
    });
  });

  describe('gates', () => {
    it('keeps a device below the battery threshold waiting, says why once, and starts it when charged', () => {
      const s = runningCampaign(1, 1);
      s.observe('d0', { batteryPercent: 12 });
      const events = s.advance(0);
      expect(events[2]).toMatchObject({
        type: 'DeviceUpdateGated',
        data: { gate: 'battery', reason: "battery 12 % is below the campaign's threshold of 20 %" },
      });
      expect(s.advance(1)).toEqual([]);
      s.observe('d0', { batteryPercent: 60 });
      expect(types(s.advance(2))).toEqual(['DeviceUpdateStarted']);
    });

    it('starts nobody outside the maintenance window', () => {
      const window = { cron: '0 2 * * *', durationMinutes: 60, timeZone: 'UTC' };
      const s = runningCampaign(1, 1, { maintenanceWindow: window });
      expect(s.advance(0)[2]).toMatchObject({
        type: 'DeviceUpdateGated',
        data: { gate: 'maintenance-window' },
      });
    });

    it('starts a device left Downloaded by a failed install: a new package URI replaces that package', () => {
      const s = runningCampaign(1, 1);
      s.observe('d0', { updateState: { value: 2, at: at(-1) }, updateResult: { value: 8, at: at(-1) } });
      expect(types(s.advance(0))).toContain('DeviceUpdateStarted');
    });

    it('does not start a device that reports an update in progress, nor a suspended one', () => {
      const s = runningCampaign(2, 1);
      s.observe('d0', { updateState: { value: 1, at: at(-1) } });
      s.observe('d1', { status: 'suspended' });
      const gates = s.advance(0).filter((e) => e.type === 'DeviceUpdateGated');
      expect(gates.map((e) => e.data)).toEqual([
        expect.objectContaining({ deviceId: 'd0', gate: 'already-updating' }),
        expect.objectContaining({ deviceId: 'd1', gate: 'device-status', reason: 'the device is suspended' }),
      ]);
    });

    it('keeps at most maxConcurrency devices updating', () => {
      const s = runningCampaign(10, 1, { maxConcurrency: 3 });
      expect(s.advance(0).filter((e) => e.type === 'DeviceUpdateStarted')).toHaveLength(3);
      updateDevice(s, 'd0', 5);
      expect(s.advance(6).filter((e) => e.type === 'DeviceUpdateStarted')).toHaveLength(1);
    });
  });

  describe('waves and thresholds', () => {
    it('opens the next wave only when the current one succeeded enough, then completes', () => {
      const s = runningCampaign(4, 2, { successThresholdPercent: 100 });
      s.advance(0);
      expect(s.status('d2')).toBe('pending');
      updateDevice(s, 'd0', 5);
      expect(types(s.advance(6))).toEqual(['DeviceUpdateSucceeded']);
      updateDevice(s, 'd1', 7);
      expect(types(s.advance(8))).toEqual([
        'DeviceUpdateSucceeded',
        'WaveCompleted',
        'WaveStarted',
        'DeviceUpdateStarted',
        'DeviceUpdateStarted',
      ]);
      updateDevice(s, 'd2', 9);
      updateDevice(s, 'd3', 9);
      expect(
        s
          .advance(10)
          .map((e) => e.type)
          .slice(-3),
      ).toEqual(['DeviceUpdateSucceeded', 'WaveCompleted', 'CampaignCompleted']);
      expect(s.state.status).toBe('completed');
    });

    it('pauses itself at the error threshold, starts nobody of later waves, and finishes once resumed after the fix', () => {
      const s = runningCampaign(20, 2, {
        successThresholdPercent: 100,
        errorThreshold: { percent: 5, minimumFinished: 5, action: 'pause' },
      });
      s.advance(0);
      // wave 1 (d0..d9): d0 fails its install (update failed, result 8), the others succeed
      for (let i = 1; i < 10; i++) updateDevice(s, `d${i}`, 5);
      s.observe('d0', { updateResult: { value: 8, at: at(5) } });
      const events = s.advance(6);
      expect(events.at(-1)).toMatchObject({
        type: 'CampaignPaused',
        data: {
          byOperator: false,
          reason: expect.stringContaining('1 of 10 finished devices failed (10 % ≥ 5 %)'),
        },
      });
      expect(s.advance(100)).toEqual([]);
      expect([...s.state.devices.values()].filter((d) => d.wave === 1 && d.status !== 'pending')).toEqual([]);

      s.when({ type: 'ResumeCampaign', retryFailed: true });
      expect(types(s.advance(101))).toEqual(['DeviceUpdateStarted']);
      updateDevice(s, 'd0', 110);
      expect(types(s.advance(111)).slice(0, 3)).toEqual([
        'DeviceUpdateSucceeded',
        'WaveCompleted',
        'WaveStarted',
      ]);
      for (let i = 10; i < 20; i++) updateDevice(s, `d${i}`, 120);
      expect(types(s.advance(121)).at(-1)).toBe('CampaignCompleted');
    });

    it('aborts instead when the threshold says so', () => {
      const s = runningCampaign(4, 1, {
        errorThreshold: { percent: 50, minimumFinished: 1, action: 'abort' },
      });
      s.advance(0);
      s.observe('d0', { updateResult: { value: 5, at: at(2) } });
      expect(types(s.advance(2)).at(-1)).toBe('CampaignAborted');
    });
  });

  it('counts a device already on the target version as updated without sending it anything', () => {
    const s = runningCampaign(1, 1);
    s.observe('d0', { firmwareVersion: { value: '1.5.0', at: at(-1) } });
    expect(types(s.advance(0))).toEqual([
      'CampaignStarted',
      'WaveStarted',
      'DeviceUpdateSucceeded',
      'WaveCompleted',
      'CampaignCompleted',
    ]);
  });

  it('cannot be resumed unless paused, and is not started again once cancelled', () => {
    const s = runningCampaign(2, 1);
    s.advance(0);
    expect(() => s.when({ type: 'ResumeCampaign', retryFailed: false })).toThrow(
      'only a paused campaign resumes',
    );
    s.when({ type: 'CancelCampaign' });
    expect(s.advance(1)).toEqual([]);
  });
});

describe('planWaves', () => {
  const rollout = {
    canaryCount: null,
    canaryPercent: null,
    waveCount: null,
    baseWaveSize: null,
    growthFactor: null,
  };

  it('splits 1,000 devices into 10 equal waves', () => {
    expect(planWaves(1000, { ...rollout, waveCount: 10 })).toEqual(Array(10).fill(100));
  });

  it('starts with a canary, then ramps up exponentially, the last wave taking the rest', () => {
    expect(planWaves(1000, { ...rollout, canaryPercent: 1, baseWaveSize: 50, growthFactor: 2 })).toEqual([
      10, 50, 100, 200, 400, 240,
    ]);
  });
});
