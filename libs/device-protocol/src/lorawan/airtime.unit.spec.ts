import { codingRateOf, loraAirtimeMs, lorawanPhyPayloadBytes } from './airtime';

describe('LoRa time on air (Semtech SX1276 formula)', () => {
  it.each([
    // Empty LoRaWAN frame with FPort: 13 bytes; 33 payload symbols of 1.024 ms + 12.25 preamble symbols.
    [{ spreadingFactor: 7, bandwidthHz: 125_000, payloadBytes: 13 }, 46.336],
    // SF12 turns on low data rate optimisation automatically (32.768 ms symbols).
    [{ spreadingFactor: 12, bandwidthHz: 125_000, payloadBytes: 51 }, 2465.792],
    // 10-byte FRMPayload at SF7: The Things Stack reports consumed_airtime "0.061696s".
    [{ spreadingFactor: 7, bandwidthHz: 125_000, payloadBytes: 23 }, 61.696],
    [{ spreadingFactor: 10, bandwidthHz: 125_000, payloadBytes: 23 }, 370.688],
    [{ spreadingFactor: 7, bandwidthHz: 250_000, payloadBytes: 13 }, 23.168],
  ])('given %j, when computed, then it lasts %d ms', (transmission, expected) => {
    expect(loraAirtimeMs(transmission)).toBeCloseTo(expected, 3);
  });

  it('given the same frame with LDRO forced off at SF12, when computed, then it is shorter than with auto', () => {
    const frame = { spreadingFactor: 12, bandwidthHz: 125_000, payloadBytes: 51 };

    expect(loraAirtimeMs({ ...frame, lowDataRateOptimize: false })).toBeCloseTo(2138.112, 3);
  });

  it('given a higher coding rate and no CRC, when computed, then the formula terms apply', () => {
    const frame = { spreadingFactor: 7, bandwidthHz: 125_000, payloadBytes: 13 };

    expect(loraAirtimeMs({ ...frame, codingRate: 4 })).toBeCloseTo(61.696, 3);
    expect(loraAirtimeMs({ ...frame, crc: false })).toBeCloseTo(41.216, 3);
  });

  it.each([
    [{ spreadingFactor: 13, bandwidthHz: 125_000, payloadBytes: 10 }, 'spreading factor 13'],
    [{ spreadingFactor: 7, bandwidthHz: 0, payloadBytes: 10 }, 'bandwidth 0 Hz'],
    [{ spreadingFactor: 7, bandwidthHz: 125_000, payloadBytes: 256 }, 'payload of 256 bytes'],
    [{ spreadingFactor: 7, bandwidthHz: 125_000, payloadBytes: 10, codingRate: 5 }, 'coding rate 5'],
  ])('given %j, when computed, then it is refused', (transmission, fragment) => {
    expect(() => loraAirtimeMs(transmission)).toThrow(fragment);
  });

  it('given FRMPayload sizes, when framed, then 13 bytes of LoRaWAN overhead are added (12 without FPort)', () => {
    expect(lorawanPhyPayloadBytes(10)).toBe(23);
    expect(lorawanPhyPayloadBytes(0, false)).toBe(12);
  });

  it.each([
    ['4/5', 1],
    ['4/8', 4],
    ['CR_4_6', 2],
    ['4/8LI', 4],
    [undefined, 1],
    ['CR_UNDEFINED', 1],
  ])('given coding rate %s, when read, then it is %d', (name, expected) => {
    expect(codingRateOf(name)).toBe(expected);
  });
});
