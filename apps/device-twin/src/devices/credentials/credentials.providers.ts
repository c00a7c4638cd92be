import type { Provider } from '@nestjs/common';
import { join } from 'node:path';
import { defaultDevKeyDir } from '@fleet/auth';
import { DEVICE_TWIN_CONFIG, type DeviceTwinConfig } from '../../config';
import { CredentialIssuer } from './credential-issuer';
import { devKek, parseKek } from './key-encryption';

export const CREDENTIAL_ISSUER = Symbol('CREDENTIAL_ISSUER');

/** The configured KEK, or in development a generated one under `.local/dev-keys` (git-ignored). */
export const credentialProviders: Provider[] = [
  {
    provide: CREDENTIAL_ISSUER,
    inject: [DEVICE_TWIN_CONFIG],
    useFactory: async (config: DeviceTwinConfig) =>
      new CredentialIssuer(
        config.DEVICE_KEK
          ? parseKek(config.DEVICE_KEK_ID, config.DEVICE_KEK)
          : await devKek(join(defaultDevKeyDir(), 'device-kek.b64')),
      ),
  },
];
