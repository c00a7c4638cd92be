import { UplinkRejectedError } from '../errors';
import { lorawanAuthenticationFailureOf, parseChirpstackLogEvent } from './chirpstack-log';
import { chirpstackLogMessage } from './simulated-uplinks';

const applicationId = '17c82e96-be03-4f38-aef3-f83d48582d97';
const time = Date.parse('2026-12-02T10:00:00Z');
const message = (code: string, level: 'INFO' | 'WARNING' | 'ERROR' = 'ERROR') =>
  chirpstackLogMessage({
    time,
    tenantId: 't1',
    applicationId,
    devEui: '70b3d57ed0000001',
    level,
    code,
    description: 'DevNonce has already been used',
  });

describe('ChirpStack v4 log events', () => {
  it('given a log event, when parsed, then its device, time, level, code and description are read', () => {
    const { topic, payload } = message('OTAA');

    expect(parseChirpstackLogEvent(topic, payload)).toEqual({
      devEui: '70b3d57ed0000001',
      applicationId,
      time,
      level: 'ERROR',
      code: 'OTAA',
      description: 'DevNonce has already been used',
      context: {},
    });
  });

  it('given protobuf JSON without level and code (their zero values), when parsed, then they are INFO and UNKNOWN', () => {
    const { topic } = message('OTAA');
    const payload = Buffer.from(
      JSON.stringify({
        time: new Date(time).toISOString(),
        deviceInfo: { tenantId: 't1', applicationId, devEui: '70b3d57ed0000001' },
      }),
    );

    expect(parseChirpstackLogEvent(topic, payload)).toMatchObject({ level: 'INFO', code: 'UNKNOWN' });
  });

  it('given a body without deviceInfo or an uplink topic, when parsed, then it is refused as malformed', () => {
    const { topic } = message('OTAA');
    expect(() => parseChirpstackLogEvent(topic, Buffer.from('{"time":"2026-12-02T10:00:00Z"}'))).toThrow(
      UplinkRejectedError,
    );
    expect(() => parseChirpstackLogEvent(topic.replace('/log', '/up'), message('OTAA').payload)).toThrow(
      /not a ChirpStack log topic/,
    );
  });

  it.each([
    ['UPLINK_MIC', 'ERROR', 'frame-mic-invalid'],
    ['OTAA', 'ERROR', 'join-refused'],
    ['OTAA', 'WARNING', 'join-refused'],
    ['OTAA', 'INFO', undefined],
    ['UPLINK_CODEC', 'ERROR', undefined],
    ['UPLINK_F_CNT_RETRANSMISSION', 'WARNING', undefined],
  ] as const)('given code %s at level %s, then the authentication failure is %s', (code, level, expected) => {
    const { topic, payload } = message(code, level);

    expect(lorawanAuthenticationFailureOf(parseChirpstackLogEvent(topic, payload))).toBe(expected);
  });
});
