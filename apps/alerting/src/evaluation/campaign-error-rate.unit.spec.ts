import { campaignSubject, checkCampaign, errorRatePercent } from './campaign-error-rate';
import { rule, slots } from './evaluation.test-support';
import { RuleSet } from './rule-set';

const failing = rule('failing', {
  kind: 'campaign-error-rate',
  raiseAtPercent: 5,
  clearAtPercent: 2,
  minimumFinished: 20,
});
const rules = new RuleSet([failing]);

describe('campaign error rate', () => {
  it('is the failed share of finished devices', () => {
    expect(errorRatePercent({ campaignId: 'c', failed: 1, succeeded: 19 })).toBe(5);
    expect(errorRatePercent({ campaignId: 'c', failed: 0, succeeded: 0 })).toBe(0);
  });

  it('given too few finished devices, then nothing; given enough at the threshold, then it raises on the campaign', () => {
    expect(checkCampaign({ campaignId: 'c', failed: 1, succeeded: 5 }, false, 0, rules, slots())).toEqual([]);
    expect(checkCampaign({ campaignId: 'c', failed: 1, succeeded: 19 }, false, 0, rules, slots())).toEqual([
      expect.objectContaining({ action: 'raise', subject: campaignSubject('c'), deviceId: null, value: 5 }),
    ]);
  });

  it('given an open alert, when the rate falls to the clear bound or the campaign ends, then it clears', () => {
    const open = () =>
      slots([{ ruleId: 'failing', subject: 'campaign:c', status: 'open', episode: 1, alertId: 'a1' }]);
    expect(checkCampaign({ campaignId: 'c', failed: 1, succeeded: 30 }, false, 0, rules, open())).toEqual([]);
    expect(
      checkCampaign({ campaignId: 'c', failed: 1, succeeded: 60 }, false, 0, rules, open())[0],
    ).toMatchObject({
      action: 'clear',
      message: 'error rate back to 1.64 %',
    });
    expect(
      checkCampaign({ campaignId: 'c', failed: 9, succeeded: 1 }, true, 0, rules, open())[0],
    ).toMatchObject({
      action: 'clear',
      message: 'campaign c ended',
    });
  });
});
