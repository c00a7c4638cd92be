import {
  decodeLorawanAnswer,
  encodeLorawanCommand,
  UplinkRejectedError,
  type DeviceOperationRequest,
} from '@fleet/device-protocol';
import { DeviceModel } from './device-model';
import { answerLorawanCommand, dueLorawanNotifications } from './lorawan-commands';
import { seededRandom } from './random';

const now = Date.parse('2026-05-01T12:00:00Z');
const model = () =>
  new DeviceModel({
    firmwareVersion: '1.4.2',
    profile: 'lora',
    random: seededRandom(3),
    configuration: { 'application.reportingIntervalSeconds': 900 },
  });
const request = (
  extra: Partial<DeviceOperationRequest> & Pick<DeviceOperationRequest, 'operation' | 'path'>,
): DeviceOperationRequest => ({
  value: null,
  arguments: null,
  attributes: null,
  instanceValues: null,
  ...extra,
});
const answer = (device: DeviceModel, tag: number, operation: DeviceOperationRequest) => {
  const pending = answerLorawanCommand(device, encodeLorawanCommand(tag, operation), now);
  return { ...pending, answer: decodeLorawanAnswer(pending.frame) };
};

describe('LoRaWAN command frames on a simulated device', () => {
  it('given a read of the battery, when answered, then the answer frame carries the tag and the value', () => {
    const device = model();

    const { answer: decoded, reboot } = answer(device, 300, request({ operation: 'read', path: '/3/0/9' }));

    expect(decoded).toEqual({
      tag: 300,
      status: 'succeeded',
      code: '2.05',
      reason: null,
      values: [{ path: '/3/0/9', value: device.readings.batteryPercent }],
      notification: false,
    });
    expect(reboot).toBe(false);
  });

  it('given a write of the reporting interval, when answered, then 2.04 and the device reports the new value', () => {
    const device = model();

    const { answer: decoded } = answer(
      device,
      1,
      request({ operation: 'write', path: '/26241/0/2', value: 600 }),
    );

    expect(decoded).toMatchObject({ status: 'succeeded', code: '2.04' });
    expect(device.configuration['application.reportingIntervalSeconds']).toBe(600);
  });

  it('given a write to a read-only resource, when answered, then it fails 4.05 with the reason', () => {
    const { answer: decoded } = answer(model(), 2, request({ operation: 'write', path: '/3/0/9', value: 1 }));

    expect(decoded).toMatchObject({ tag: 2, status: 'failed', code: '4.05', reason: '/3/0/9 is read-only' });
  });

  it('given execute of Reboot, when answered, then 2.04 and the device is to reboot once it has sent it', () => {
    const { answer: decoded, reboot } = answer(model(), 4, request({ operation: 'execute', path: '/3/0/4' }));

    expect(decoded).toMatchObject({ status: 'succeeded', code: '2.04' });
    expect(reboot).toBe(true);
  });

  it('given a frame whose request no command can carry, when answered, then 4.00 says why', () => {
    // A write to a whole instance: the frame can say it, `down/command` cannot.
    const frame = Buffer.from('020005' + '02' + '0003' + '0000' + '01' + '00000001', 'hex');

    const decoded = decodeLorawanAnswer(answerLorawanCommand(model(), frame, now).frame);

    expect(decoded).toMatchObject({ tag: 5, status: 'failed', code: '4.00' });
    expect(decoded.reason).toContain('path');
  });

  it('given an observe, when the device later measures, then a notification frame of the same tag is due', () => {
    const device = model();
    answer(device, 77, request({ operation: 'observe', path: '/3/0/9', attributes: { pmin: 0 } }));

    const [notification] = dueLorawanNotifications(device, now + 1_000);

    expect(notification?.notification).toBe(true);
    expect(decodeLorawanAnswer(notification!.frame)).toMatchObject({
      tag: 77,
      notification: true,
      values: [{ path: '/3/0/9', value: device.readings.batteryPercent }],
    });
  });

  it('given bytes that are no command frame, when received, then the device refuses them', () => {
    expect(() => answerLorawanCommand(model(), Buffer.from([0xff]), now)).toThrow(UplinkRejectedError);
  });
});
