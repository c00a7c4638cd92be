import { ValidationError } from '@fleet/core';
import {
  LORAWAN_REGIONS,
  lorawanCommandFits,
  maxDownlinkPayloadBytes,
  rx1DownlinkDataRate,
} from './regional-parameters';

const sizes = (region: string, rates: number[], options = {}) =>
  rates.map((dr) => maxDownlinkPayloadBytes(region, dr, options));

describe('LoRaWAN regional downlink limits (RP002-1.0.4)', () => {
  it('covers the regions device-twin knows and more', () => {
    expect(LORAWAN_REGIONS).toEqual(expect.arrayContaining(['EU868', 'US915', 'AS923', 'AU915', 'IN865']));
  });

  it('given EU868, when each data rate is asked, then N is 51 up to DR2, 115 at DR3 and 242 from DR4', () => {
    expect(sizes('EU868', [0, 1, 2, 3, 4, 5, 6, 7])).toEqual([51, 51, 51, 115, 242, 242, 242, 242]);
  });

  it('given US915 and AU915, when a 500 kHz downlink rate is asked, then DR8-13 carry 53, 129 and 242', () => {
    for (const region of ['US915', 'AU915']) {
      expect(sizes(region, [8, 9, 10, 11, 12, 13])).toEqual([53, 129, 242, 242, 242, 242]);
    }
  });

  it('given a US915 uplink data rate, when asked, then the size is that of its RX1 downlink at offset 0', () => {
    // DR0 (SF10BW125) is answered on DR10 (SF10BW500), DR4 on DR13.
    expect(sizes('US915', [0, 1, 2, 3, 4])).toEqual([242, 242, 242, 242, 242]);
    expect(rx1DownlinkDataRate('US915', 0)).toBe(10);
    expect(rx1DownlinkDataRate('US915', 0, 3)).toBe(8);
    expect(maxDownlinkPayloadBytes('US915', rx1DownlinkDataRate('US915', 0, 3))).toBe(53);
  });

  it('given an AU915 uplink data rate, when asked, then DR0 is answered on DR8 and DR2 on DR10', () => {
    expect(rx1DownlinkDataRate('AU915', 0)).toBe(8);
    expect(sizes('AU915', [0, 1, 2, 6])).toEqual([53, 129, 242, 242]);
  });

  it('given AS923, when asked with and without the 400 ms dwell time, then the dwell-time table applies', () => {
    expect(sizes('AS923', [0, 1, 2, 3, 4, 5, 6, 7])).toEqual([51, 51, 51, 115, 242, 242, 242, 242]);
    expect(sizes('AS923', [2, 3, 4, 5], { dwellTime400ms: true })).toEqual([11, 53, 125, 242]);
    expect(() => maxDownlinkPayloadBytes('AS923', 0, { dwellTime400ms: true })).toThrow(
      'DR0 carries no downlink in AS923 with the 400 ms dwell time',
    );
  });

  it('given AS923 offsets 6 and 7, when the RX1 rate is computed, then it is above the uplink rate, capped at DR5', () => {
    expect(rx1DownlinkDataRate('AS923', 2, 6)).toBe(3);
    expect(rx1DownlinkDataRate('AS923', 4, 7)).toBe(5);
    expect(rx1DownlinkDataRate('AS923', 0, 5, { dwellTime400ms: true })).toBe(2);
  });

  it('given IN865, when asked, then DR6 is reserved and DR7 carries 242', () => {
    expect(sizes('IN865', [0, 2, 3, 5, 7])).toEqual([51, 51, 115, 242, 242]);
    expect(() => maxDownlinkPayloadBytes('IN865', 6)).toThrow('DR6 is not a data rate of IN865');
  });

  it.each([
    ['EU868', 8, 2, 0],
    ['EU868', 5, 5, 0],
    ['EU868', 3, 0, 3],
    ['IN865', 5, 0, 5],
    ['IN865', 1, 7, 3],
  ])(
    'given %s uplink DR%d and RX1 offset %d, when the RX1 rate is asked, then it is DR%d',
    (region, dr, offset, rx1) => {
      expect(rx1DownlinkDataRate(region, dr, offset)).toBe(rx1);
    },
  );

  it('given an EU868 LR-FHSS uplink rate, when asked, then its LoRa RX1 downlink size is given', () => {
    expect(sizes('EU868', [8, 9])).toEqual([51, 51]);
  });

  it.each([
    ['EU868', 16, 'DR16 is not a data rate of EU868'],
    ['US915', 7, 'DR7 is not a data rate of US915'],
    ['US915', 14, 'DR14 is not a data rate of US915'],
    ['EU868', 1.5, 'DR1.5 is not a data rate of EU868'],
    ['EU433', 0, 'unknown LoRaWAN region "EU433" (known: EU868, US915, AU915, AS923, IN865)'],
  ])('given %s DR%d, when asked, then it throws', (region, dr, message) => {
    expect(() => maxDownlinkPayloadBytes(region, dr)).toThrow(new ValidationError(message));
  });

  it('given an RX1 offset the region does not define, when asked, then it throws', () => {
    expect(() => rx1DownlinkDataRate('US915', 0, 4)).toThrow(
      'RX1 data rate offset 4 is not defined in US915',
    );
  });

  it('given a command that fits, when checked, then there is no reason', () => {
    expect(lorawanCommandFits('EU868', 0, Buffer.alloc(51))).toBeNull();
    expect(lorawanCommandFits('US915', 8, 53)).toBeNull();
  });

  it('given a command too big for the data rate, when checked, then the reason gives both sizes', () => {
    expect(lorawanCommandFits('EU868', 0, Buffer.alloc(64))).toBe(
      'the command needs 64 bytes but DR0 in EU868 carries at most 51',
    );
    expect(lorawanCommandFits('AS923', 2, 12, { dwellTime400ms: true })).toBe(
      'the command needs 12 bytes but DR2 in AS923 carries at most 11',
    );
  });
});
