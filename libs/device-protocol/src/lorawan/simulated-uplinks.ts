// Network-server uplink messages as ChirpStack and The Things Stack publish them, for the simulator and tests.
import { chirpstackUplinkTopic, ttsUplinkTopic, type TtsDeviceAddress } from '../topics';
import { loraAirtimeMs, lorawanPhyPayloadBytes } from './airtime';

export interface ChirpstackUplinkInput {
  readonly deduplicationId: string;
  /** Epoch milliseconds. */
  readonly time: number;
  readonly tenantId: string;
  readonly applicationId: string;
  readonly devEui: string;
  readonly deviceName?: string;
  readonly deviceProfileName?: string;
  readonly fCnt: number;
  readonly fPort: number;
  readonly data: Uint8Array;
  readonly object?: unknown;
  readonly gateways: readonly { gatewayId: string; rssi: number; snr: number }[];
  readonly spreadingFactor: number;
  readonly bandwidthHz?: number;
  /** Region's data-rate index for this SF/BW (EU868: DR5 = SF7BW125). */
  readonly dr: number;
}

/** An uplink event as ChirpStack would publish it (simulator and tests). */
export function chirpstackUplinkMessage(input: ChirpstackUplinkInput): { topic: string; payload: Buffer } {
  const { applicationId, devEui } = input;
  const event = {
    deduplicationId: input.deduplicationId,
    time: new Date(input.time).toISOString(),
    deviceInfo: {
      tenantId: input.tenantId,
      applicationId,
      devEui,
      deviceProfileName: input.deviceProfileName ?? 'Fleetwise',
      deviceName: input.deviceName ?? devEui,
    },
    dr: input.dr,
    fCnt: input.fCnt,
    fPort: input.fPort,
    data: Buffer.from(input.data).toString('base64'),
    ...(input.object === undefined ? {} : { object: input.object }),
    rxInfo: input.gateways.map(({ gatewayId, rssi, snr }) => ({ gatewayId, rssi, snr })),
    txInfo: {
      modulation: {
        lora: {
          bandwidth: input.bandwidthHz ?? 125_000,
          spreadingFactor: input.spreadingFactor,
          codeRate: 'CR_4_5',
        },
      },
    },
  };
  return {
    topic: chirpstackUplinkTopic({ applicationId, devEui }),
    payload: Buffer.from(JSON.stringify(event)),
  };
}

export interface ChirpstackLogInput {
  /** Epoch milliseconds. */
  readonly time: number;
  readonly tenantId: string;
  readonly applicationId: string;
  readonly devEui: string;
  readonly level: 'INFO' | 'WARNING' | 'ERROR';
  /** ChirpStack's `LogCode` name, e.g. UPLINK_MIC, OTAA, UPLINK_CODEC. */
  readonly code: string;
  readonly description: string;
}

/** A log event as ChirpStack's MQTT integration publishes it (for simulators and tests). */
export function chirpstackLogMessage(input: ChirpstackLogInput): { topic: string; payload: Buffer } {
  const { applicationId, devEui } = input;
  const body = {
    time: new Date(input.time).toISOString(),
    deviceInfo: { tenantId: input.tenantId, applicationId, devEui },
    level: input.level,
    code: input.code,
    description: input.description,
    context: {},
  };
  return {
    topic: `application/${applicationId}/device/${devEui}/event/log`,
    payload: Buffer.from(JSON.stringify(body)),
  };
}

export interface TtsUplinkInput extends TtsDeviceAddress {
  readonly devEui: string;
  /** ULID-like id; becomes the `as:up:` correlation id. */
  readonly uplinkId: string;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
  readonly fCnt: number;
  readonly fPort: number;
  readonly frmPayload: Uint8Array;
  readonly decodedPayload?: unknown;
  readonly gateways: readonly { gatewayId: string; rssi: number; snr: number }[];
  readonly spreadingFactor: number;
  readonly bandwidthHz?: number;
}

/** An uplink as The Things Stack would publish it (simulator and tests). */
export function ttsUplinkMessage(input: TtsUplinkInput): { topic: string; payload: Buffer } {
  const { applicationId, tenantId, deviceId, spreadingFactor, bandwidthHz = 125_000 } = input;
  const receivedAt = new Date(input.receivedAt).toISOString();
  const airtimeMs = loraAirtimeMs({
    spreadingFactor,
    bandwidthHz,
    payloadBytes: lorawanPhyPayloadBytes(input.frmPayload.length),
  });
  const up = {
    end_device_ids: {
      device_id: deviceId,
      application_ids: { application_id: applicationId },
      dev_eui: input.devEui.toUpperCase(),
    },
    correlation_ids: [`as:up:${input.uplinkId}`],
    received_at: receivedAt,
    uplink_message: {
      f_port: input.fPort,
      f_cnt: input.fCnt,
      frm_payload: Buffer.from(input.frmPayload).toString('base64'),
      ...(input.decodedPayload === undefined ? {} : { decoded_payload: input.decodedPayload }),
      rx_metadata: input.gateways.map(({ gatewayId, rssi, snr }) => ({
        gateway_ids: { gateway_id: gatewayId },
        rssi,
        channel_rssi: rssi,
        snr,
      })),
      settings: {
        data_rate: {
          lora: { bandwidth: bandwidthHz, spreading_factor: spreadingFactor, coding_rate: '4/5' },
        },
      },
      received_at: receivedAt,
      consumed_airtime: `${(airtimeMs / 1000).toFixed(6)}s`,
    },
  };
  return {
    topic: ttsUplinkTopic({ applicationId, tenantId, deviceId }),
    payload: Buffer.from(JSON.stringify(up)),
  };
}
