import { rejected } from '../errors';
import { decodeSenml, encodeSenml } from '../senml';
import type { ApplicationCodec } from './application-codec';

/** fPort the simulator sends SenML on; any application port (1-223) is accepted. */
const SENML_PORT = 1;

/** The FRMPayload is a SenML CBOR pack, exactly as on `up/telemetry` (default for models without a codec). */
export const senmlCborCodec: ApplicationCodec = {
  name: 'senml-cbor',
  decode(fPort, bytes, now) {
    if (!(fPort >= 1 && fPort <= 223))
      throw rejected('malformed', `senml-cbor: fPort ${fPort} is not an application port (1-223)`);
    return decodeSenml(bytes, { now, contentType: 'application/senml+cbor' });
  },
  encode(records) {
    return { fPort: SENML_PORT, bytes: encodeSenml(records, 'cbor') };
  },
};
