import { Client } from 'pg';
import { testInfrastructure, uniqueName } from '@fleet/testing';

/** A fresh database for one end-to-end suite, so services start from an empty store. */
export async function createDatabase(prefix = 'fleet_e2e'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueName(prefix).toLowerCase();
  const admin = new Client({ connectionString: testInfrastructure.pgUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(testInfrastructure.pgUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: testInfrastructure.pgUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
