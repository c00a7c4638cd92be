import { evaluateEvent, recordOccurrence, type ObservedEvent } from './event-rules';
import { never, rule, slots } from './evaluation.test-support';

const reboots = rule('reboots', {
  kind: 'event',
  source: 'command-events',
  eventTypes: ['CommandSucceeded'],
  where: { operation: 'execute', path: '/3/0/4' },
  count: 3,
  withinSeconds: 3_600,
  clearOn: ['FirmwareVersionChanged'],
});

let t = 1_700_000_000_000;
const event = (
  eventType: string,
  data: Record<string, unknown>,
  source: ObservedEvent['source'] = 'command-events',
): ObservedEvent => ({
  source,
  eventId: `e${t}`,
  eventType,
  stream: 'command-1',
  deviceId: 'd1',
  occurredAt: (t += 600_000),
  data,
});

function run(events: ObservedEvent[], s = slots()) {
  const times = new Map<string, readonly number[]>();
  return events.flatMap((e) =>
    evaluateEvent(
      e,
      [reboots],
      null,
      s,
      { get: (r, d) => times.get(`${r}/${d}`) ?? [], set: (r, d, v) => times.set(`${r}/${d}`, v) },
      never,
    ),
  );
}

const reboot = () => event('CommandSucceeded', { operation: 'execute', path: '/3/0/4' });

describe('event rules', () => {
  it('given occurrences, then only those within the window are kept', () => {
    expect(recordOccurrence([1_000, 5_000, 9_000], 10_000, 6)).toEqual([5_000, 9_000, 10_000]);
  });

  it('given three reboots within the hour, then it raises; other commands do not count', () => {
    const decisions = run([
      reboot(),
      event('CommandSucceeded', { operation: 'read', path: '/3/0/4' }),
      reboot(),
      reboot(),
    ]);
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'raise', value: 3, message: '3 × CommandSucceeded within 3600 s' }),
    ]);
  });

  it('given reboots spread over more than the window, then nothing is raised', () => {
    t += 10 * 3_600_000;
    const spread = [
      reboot(),
      { ...reboot(), occurredAt: (t += 3_600_000) },
      { ...reboot(), occurredAt: (t += 3_600_000) },
    ];
    expect(run(spread)).toEqual([]);
  });

  it('given an open alert, when a clearing event comes, then it clears; events of another source are ignored', () => {
    const open = slots([{ ruleId: 'reboots', subject: 'd1', status: 'open', episode: 1, alertId: 'a1' }]);
    expect(
      run([event('FirmwareVersionChanged', { operation: 'execute', path: '/3/0/4' }, 'device-events')], open),
    ).toEqual([]);
    const clearing = event('FirmwareVersionChanged', { operation: 'execute', path: '/3/0/4' });
    expect(run([clearing], open)).toEqual([expect.objectContaining({ action: 'clear', alertId: 'a1' })]);
  });
});
