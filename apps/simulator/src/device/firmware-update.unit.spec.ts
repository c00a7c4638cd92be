import {
  decideFirmwareUpdate,
  evolveFirmwareUpdate,
  firmwareUpdateRecords,
  initialFirmwareUpdate,
  UpdateResult,
  type FirmwareUpdate,
  type FirmwareUpdateCommand,
} from './firmware-update';

const URI = 'https://fw.example/packages/fw-2.0.0.bin?token=t0k3n';
const OTHER_URI = 'http://fw.example/fw-2.1.0.bin';

/** Runs commands from Idle, failing on any refusal: the state a test starts from. */
function given(...commands: FirmwareUpdateCommand[]): FirmwareUpdate {
  return commands.reduce((state, command) => {
    const decision = decideFirmwareUpdate(state, command);
    if (decision.refusal) throw new Error(`given ${command.kind} was refused: ${decision.refusal.reason}`);
    return decision.events.reduce(evolveFirmwareUpdate, state);
  }, initialFirmwareUpdate);
}

function when(state: FirmwareUpdate, command: FirmwareUpdateCommand) {
  const decision = decideFirmwareUpdate(state, command);
  return { ...decision, next: decision.events.reduce(evolveFirmwareUpdate, state) };
}

const write = (uri: string): FirmwareUpdateCommand => ({ kind: 'WritePackageUri', uri });
const downloaded = (uri = URI): FirmwareUpdateCommand => ({
  kind: 'CompleteDownload',
  uri,
  packageVersion: '2.0.0',
});
const execute = (batteryPercent = 80, minBatteryPercent = 10): FirmwareUpdateCommand => ({
  kind: 'ExecuteUpdate',
  batteryPercent,
  minBatteryPercent,
});

const downloading = () => given(write(URI));
const ready = () => given(write(URI), downloaded());
const updating = () => given(write(URI), downloaded(), execute());

describe('LwM2M object 5 state machine', () => {
  describe('given Idle', () => {
    it('when a Package URI is written, then it downloads (state 1, result 0) named after the path', () => {
      const { events, refusal, next } = when(given(), write(URI));
      expect(refusal).toBeUndefined();
      expect(events).toEqual([{ type: 'DownloadStarted', uri: URI, packageName: 'fw-2.0.0.bin' }]);
      expect(next).toMatchObject({ state: 1, result: 0, packageUri: URI, packageName: 'fw-2.0.0.bin' });
    });

    it('when a URI is written after a failure, then the result goes back to 0', () => {
      const failed = given(write(URI), { kind: 'FailDownload', uri: URI, result: 4, reason: 'lost' });
      expect(failed).toMatchObject({ state: 0, result: 4 });
      expect(when(failed, write(URI)).next).toMatchObject({ state: 1, result: 0, reason: null });
    });

    it.each([
      ['not a URI', 'fw.bin', UpdateResult.InvalidUri, 'fw.bin is not a valid absolute URI'],
      [
        'another protocol',
        'coaps://fw.example/fw.bin',
        UpdateResult.UnsupportedProtocol,
        /coaps is not supported/,
      ],
      ['a bad host', 'https://bad host/fw.bin', UpdateResult.InvalidUri, /is not a valid absolute URI/],
    ])('when %s is written, then it stays Idle with result %s', (_case, uri, result, reason) => {
      const { refusal, next } = when(given(), write(uri));
      expect(refusal).toBeUndefined();
      expect(next).toMatchObject({ state: 0, result, packageUri: uri });
      expect(next.reason).toMatch(reason);
    });

    it('when an empty Package URI is written, then everything resets (result 0)', () => {
      const failed = given(write('coap://x/fw.bin'));
      expect(when(failed, write('')).next).toEqual(initialFirmwareUpdate);
    });

    it('when Update is executed, then it is refused with 4.05: not downloaded', () => {
      const { refusal, events } = when(given(), execute());
      expect(refusal).toEqual({
        code: '4.05',
        reason: 'the firmware package is not downloaded (state 0, idle)',
      });
      expect(events).toEqual([]);
    });

    it.each<FirmwareUpdateCommand>([
      downloaded(),
      { kind: 'FailDownload', uri: URI, result: 4, reason: 'late' },
      { kind: 'CompleteUpdate' },
      { kind: 'FailUpdate', reason: 'late' },
      { kind: 'Restart' },
    ])('when a stale %j arrives, then nothing changes', (command) => {
      expect(when(given(), command).events).toEqual([]);
    });
  });

  describe('given Downloading', () => {
    it('when the package is verified, then it is Downloaded (state 2) with its version', () => {
      const { next } = when(downloading(), downloaded());
      expect(next).toMatchObject({ state: 2, result: 0, packageVersion: '2.0.0' });
    });

    it.each([
      [UpdateResult.ConnectionLost, 'connection lost during download'],
      [UpdateResult.IntegrityFailure, 'SHA-256 differs'],
      [UpdateResult.UnsupportedPackage, 'not a firmware package'],
      [UpdateResult.InvalidUri, 'answered HTTP 404'],
      [UpdateResult.OutOfRam, 'out of RAM'],
      [UpdateResult.NotEnoughFlash, 'too large'],
    ] as const)(
      'when the download fails with %s, then it is Idle with that result and reason',
      (result, reason) => {
        const { next } = when(downloading(), { kind: 'FailDownload', uri: URI, result, reason });
        expect(next).toMatchObject({ state: 0, result, reason, packageVersion: null });
      },
    );

    it('when the download of a URI replaced meanwhile ends, then it is ignored', () => {
      expect(when(downloading(), downloaded(OTHER_URI)).events).toEqual([]);
      const failure: FirmwareUpdateCommand = { kind: 'FailDownload', uri: OTHER_URI, result: 4, reason: 'x' };
      expect(when(downloading(), failure).events).toEqual([]);
    });

    it('when another URI is written, then it is refused with 4.05 and the download goes on', () => {
      const { refusal, next } = when(downloading(), write(OTHER_URI));
      expect(refusal).toEqual({
        code: '4.05',
        reason: 'a download is in progress: write an empty Package URI to cancel it first',
      });
      expect(next).toEqual(downloading());
    });

    it('when an empty URI is written, then the download is cancelled: Idle, result 0', () => {
      expect(when(downloading(), write('')).next).toEqual(initialFirmwareUpdate);
    });

    it('when Update is executed, then it is refused with 4.05', () => {
      expect(when(downloading(), execute()).refusal).toEqual({
        code: '4.05',
        reason: 'the firmware package is not downloaded (state 1, downloading)',
      });
    });

    it('when the device restarts, then the download is lost: Idle, result 4', () => {
      expect(when(downloading(), { kind: 'Restart' }).next).toMatchObject({
        state: 0,
        result: UpdateResult.ConnectionLost,
        reason: 'the device restarted during the download',
      });
    });
  });

  describe('given Downloaded', () => {
    it('when Update is executed, then it is Updating (state 3) with result 0', () => {
      const { events, next } = when(ready(), execute());
      expect(events).toEqual([{ type: 'UpdateStarted', packageVersion: '2.0.0' }]);
      expect(next).toMatchObject({ state: 3, result: 0 });
    });

    it('when Update is executed below the minimum battery, then 5.00 with the reason and result 8, still Downloaded', () => {
      const { refusal, next } = when(ready(), execute(7.6, 10));
      const reason = 'battery at 8 % is below the 10 % needed to install firmware';
      expect(refusal).toEqual({ code: '5.00', reason });
      expect(next).toMatchObject({ state: 2, result: UpdateResult.UpdateFailed, reason });
    });

    it('when Update is executed at exactly the minimum battery, then it installs', () => {
      expect(when(ready(), execute(10, 10)).next.state).toBe(3);
    });

    it('when an empty URI is written, then the package is dropped: Idle, result 0', () => {
      expect(when(ready(), write('')).next).toEqual(initialFirmwareUpdate);
    });

    it('when a new URI is written, then the new package downloads', () => {
      expect(when(ready(), write(OTHER_URI)).next).toMatchObject({
        state: 1,
        packageUri: OTHER_URI,
        packageName: 'fw-2.1.0.bin',
        packageVersion: null,
      });
    });

    it('when the device restarts, then the package is kept (it is in flash)', () => {
      expect(when(ready(), { kind: 'Restart' }).events).toEqual([]);
    });
  });

  describe('given Updating', () => {
    it('when the device restarted on the new firmware, then Idle with result 1 and the new version', () => {
      const { events, next } = when(updating(), { kind: 'CompleteUpdate' });
      expect(events).toEqual([{ type: 'FirmwareUpdated', firmwareVersion: '2.0.0' }]);
      expect(next).toMatchObject({ state: 0, result: UpdateResult.Updated, packageVersion: '2.0.0' });
    });

    it('when the installation failed, then it returns to Downloaded with result 8 (LwM2M E.6)', () => {
      const { next } = when(updating(), { kind: 'FailUpdate', reason: 'crashed' });
      expect(next).toMatchObject({ state: 2, result: UpdateResult.UpdateFailed, reason: 'crashed' });
      expect(when(next, execute()).next.state).toBe(3);
    });

    it.each([URI, ''])('when the Package URI %j is written, then it is refused with 4.05', (uri) => {
      const { refusal, events } = when(updating(), write(uri));
      expect(refusal?.code).toBe('4.05');
      expect(refusal?.reason).toMatch(/an update is being installed \(state 3, updating\)/);
      expect(events).toEqual([]);
    });

    it('when Update is executed again, then it is refused with 4.05', () => {
      expect(when(updating(), execute()).refusal?.code).toBe('4.05');
    });

    it('when the device restarts for another reason, then the update failed (result 8)', () => {
      expect(when(updating(), { kind: 'Restart' }).next).toMatchObject({ state: 2, result: 8 });
    });
  });

  describe('resources', () => {
    it('given Idle, then /5/0/1, /5/0/3 and /5/0/5 are read, without name and version', () => {
      expect(firmwareUpdateRecords(initialFirmwareUpdate)).toEqual([
        { path: '/5/0/1', value: '' },
        { path: '/5/0/3', value: 0 },
        { path: '/5/0/5', value: 0 },
      ]);
    });

    it('given Downloaded, then the package name and version are read too', () => {
      expect(firmwareUpdateRecords(ready())).toEqual([
        { path: '/5/0/1', value: URI },
        { path: '/5/0/3', value: 2 },
        { path: '/5/0/5', value: 0 },
        { path: '/5/0/7', value: 'fw-2.0.0.bin' },
        { path: '/5/0/8', value: '2.0.0' },
      ]);
    });
  });
});
