import { acknowledgementOf, settledBy, type CommandSucceededData } from './acknowledged-write';

const envelope = {
  eventId: 'evt-succeeded-1',
  correlationId: 'ticket-1002',
  tenant: 'acme-water',
  occurredAt: Date.UTC(2026, 10, 22, 9, 30),
};
const configurationWrite: CommandSucceededData = {
  commandId: 'cmd-1',
  deviceId: 'meter-1',
  writtenValue: 600,
  configurationKey: 'application.reportingIntervalSeconds',
};
const write = {
  eventId: 'evt-succeeded-1',
  commandId: 'cmd-1',
  deviceId: 'meter-1',
  key: 'application.reportingIntervalSeconds' as const,
  value: 600,
  correlationId: 'ticket-1002',
  tenant: 'acme-water',
  acknowledgedAt: envelope.occurredAt,
};

describe('acknowledged configuration writes', () => {
  describe('which successes are configuration writes', () => {
    it('given a Write with a configuration key and value, then it is an acknowledged write dated at the success', () => {
      expect(acknowledgementOf(configurationWrite, envelope)).toEqual({ kind: 'write', write });
    });

    it('given a success without configuration key (a read, a hand-made write), then it is none', () => {
      expect(acknowledgementOf({ ...configurationWrite, configurationKey: null }, envelope)).toEqual({
        kind: 'not-configuration',
      });
      expect(acknowledgementOf({ ...configurationWrite, writtenValue: null }, envelope)).toEqual({
        kind: 'not-configuration',
      });
    });

    it('given a key the twin does not manage, then it says so instead of recording it', () => {
      expect(
        acknowledgementOf({ ...configurationWrite, configurationKey: 'application.colour' }, envelope),
      ).toEqual({ kind: 'unknown-key', key: 'application.colour' });
    });
  });

  describe('whether it must still be recorded', () => {
    it('given no report since the acknowledgement, then it is recorded', () => {
      expect(settledBy(write, [])).toBeUndefined();
    });

    it('given reports since of other keys only, then it is recorded', () => {
      expect(
        settledBy(write, [{ causationId: 'evt-other', reported: { 'application.logicalName': 'x' } }]),
      ).toBeUndefined();
    });

    it('given the report this acknowledgement caused, then it is a duplicate', () => {
      expect(
        settledBy(write, [
          { causationId: 'evt-succeeded-1', reported: { 'application.reportingIntervalSeconds': 600 } },
        ]),
      ).toBe('duplicate');
    });

    it('given a later report of the same key, then the late acknowledgement is superseded', () => {
      expect(
        settledBy(write, [
          { causationId: 'telemetry-9', reported: { 'application.reportingIntervalSeconds': 900 } },
        ]),
      ).toBe('superseded');
      expect(
        settledBy(write, [
          { causationId: 'telemetry-9', reported: { 'application.reportingIntervalSeconds': null } },
        ]),
      ).toBe('superseded');
    });
  });
});
