import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '@fleet/auth';
import type { PlatformConfig } from './platform.config';

/** Where deploy/local/mosquitto.sh keeps the passwords of the broker accounts it creates. */
export function localMqttCredentialsFile(): string {
  return join(findRepoRoot(), '.local', 'mosquitto', 'credentials.json');
}

/** Password of a local broker account, from the file the local broker script wrote. */
export function localMqttPassword(username: string): string {
  const file = localMqttCredentialsFile();
  let accounts: Record<string, string>;
  try {
    accounts = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (error) {
    throw new Error(
      `MQTT_PASSWORD is not set and ${file} is unreadable (${(error as Error).message}); run deploy/local/mosquitto.sh`,
    );
  }
  const password = accounts[username];
  if (!password) throw new Error(`MQTT_PASSWORD is not set and ${file} has no account ${username}`);
  return password;
}

/** The service's broker login: configured, or in development the local broker's account. */
export function mqttLogin(config: PlatformConfig): { username: string; password: string } {
  if (config.MQTT_PASSWORD) return { username: config.MQTT_USERNAME, password: config.MQTT_PASSWORD };
  if (process.env['NODE_ENV'] === 'production') {
    throw new Error('MQTT_PASSWORD is required in production');
  }
  return { username: config.MQTT_USERNAME, password: localMqttPassword(config.MQTT_USERNAME) };
}
