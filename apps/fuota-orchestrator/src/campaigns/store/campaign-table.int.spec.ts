import { randomUUID } from 'node:crypto';
import { testInfrastructure, uniqueName } from '@fleet/testing';
import { Pool } from 'pg';
import { runningCampaign } from '../campaign.test-support';
import { countByStatus, type CampaignState } from '../campaign-state';
import { viewOf } from '../campaign-view';
import { CampaignTable } from './campaign-table';

// The summary row that GET /campaigns/{id} and the runner read instead of folding the stream.
describe('CampaignTable', () => {
  const schema = uniqueName('fuota_campaign_table');
  let admin: Pool;
  let pool: Pool;

  beforeAll(async () => {
    admin = new Pool({ connectionString: testInfrastructure.pgUrl });
    await admin.query(`CREATE SCHEMA ${schema}`);
    pool = new Pool({ connectionString: testInfrastructure.pgUrl, options: `-c search_path=${schema}` });
    await new CampaignTable(pool).ensureSchema();
  });

  afterAll(async () => {
    await pool.end();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  });

  const save = (table: CampaignTable, state: CampaignState) => table.save(state, countByStatus(state));

  it('answers the view of the newest version saved, definition included', async () => {
    const table = new CampaignTable(pool);
    const scenario = runningCampaign(4, 2, { campaignId: randomUUID() });
    const older = scenario.state;
    scenario.advance(1);
    const newer = scenario.state;
    expect(newer.version).toBeGreaterThan(older.version);

    await save(table, newer);
    await save(table, older); // late writer: ignored
    expect(await table.view(newer.definition!.campaignId)).toEqual(viewOf(newer));
  });

  it('keeps the definition a later process did not send again', async () => {
    const scenario = runningCampaign(2, 1, { campaignId: randomUUID() });
    await save(new CampaignTable(pool), scenario.state);
    scenario.advance(1);
    const restarted = new CampaignTable(pool);
    await save(restarted, scenario.state);
    scenario.advance(2);
    await save(restarted, scenario.state); // sends no definition
    expect(await restarted.view(scenario.state.definition!.campaignId)).toEqual(viewOf(scenario.state));
  });

  it('lists active continuous campaigns only', async () => {
    const table = new CampaignTable(pool);
    const snapshot = runningCampaign(1, 1, { mode: 'snapshot', campaignId: randomUUID() });
    const continuous = runningCampaign(1, 1, { mode: 'continuous', campaignId: randomUUID() });
    snapshot.advance(1);
    continuous.advance(1);
    await save(table, snapshot.state);
    await save(table, continuous.state);
    const listed = await table.activeContinuous();
    expect(listed).toContain(continuous.state.definition!.campaignId);
    expect(listed).not.toContain(snapshot.state.definition!.campaignId);
  });

  it('has no view of a campaign it never saved', async () => {
    expect(await new CampaignTable(pool).view('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });
});
