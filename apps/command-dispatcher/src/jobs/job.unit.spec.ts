import { ConflictError } from '@fleet/core';
import { decideJob, evolveJob, initialJobState, jobStatus, releasable, type JobDefinition } from './job';

const job: JobDefinition = {
  jobId: 'job-1',
  operation: {
    operation: 'execute',
    path: '/3/0/4',
    value: null,
    arguments: null,
    attributes: null,
    instanceValues: null,
  },
  selector: { filter: { tags: ['pilot'] } },
  startAt: '2026-12-02T10:00:00.000Z',
  expiresAt: '2026-12-02T12:00:00.000Z',
  ratePerMinute: 600,
  maxAttempts: null,
  targetCount: 12_000,
};

describe('bulk jobs', () => {
  it('given no job, when created with 12,000 targets, then JobCreated and three chunks of targets are recorded', () => {
    const targets = Array.from({ length: 12_000 }, (_, i) => `d-${i}`);
    const events = decideJob({ type: 'CreateJob', definition: job, targets }, initialJobState);
    expect(events.map((e) => e.type)).toEqual([
      'JobCreated',
      'JobTargetsAdded',
      'JobTargetsAdded',
      'JobTargetsAdded',
    ]);
    expect(
      events
        .slice(1)
        .map((e) => (e.type === 'JobTargetsAdded' ? [e.data.firstIndex, e.data.deviceIds.length] : [])),
    ).toEqual([
      [0, 5000],
      [5000, 5000],
      [10000, 2000],
    ]);
    expect(events.reduce(evolveJob, initialJobState)).toMatchObject({
      status: 'created',
      targetsRecorded: 12_000,
    });
  });

  it('given a job, when cancelled twice, then one JobCancelled; an unknown job cannot be cancelled', () => {
    const created = evolveJob(initialJobState, { type: 'JobCreated', data: job });
    const cancelled = decideJob({ type: 'CancelJob', jobId: 'job-1' }, created);
    expect(cancelled).toEqual([{ type: 'JobCancelled', data: { jobId: 'job-1' } }]);
    expect(decideJob({ type: 'CancelJob', jobId: 'job-1' }, cancelled.reduce(evolveJob, created))).toEqual(
      [],
    );
    expect(() => decideJob({ type: 'CancelJob', jobId: 'x' }, initialJobState)).toThrow(ConflictError);
  });

  it('given 600 devices per minute, then one device at the start, 301 after 30 s, and nothing before start or after expiry', () => {
    expect(releasable(job, 0, '2026-12-02T09:59:59.000Z')).toBe(0);
    expect(releasable(job, 0, '2026-12-02T10:00:00.000Z')).toBe(1);
    expect(releasable(job, 1, '2026-12-02T10:00:30.000Z')).toBe(300);
    expect(releasable(job, 0, '2026-12-02T12:00:00.000Z')).toBe(0);
  });

  it('given no rate, then every remaining device may go at once', () => {
    expect(releasable({ ...job, ratePerMinute: null }, 2_000, '2026-12-02T10:00:00.000Z')).toBe(10_000);
  });

  it('given progress, then the status says scheduled, running, completed, expired or cancelled', () => {
    expect(jobStatus(job, false, { released: 0, open: 0 }, '2026-12-02T09:00:00.000Z')).toBe('scheduled');
    expect(jobStatus(job, false, { released: 10, open: 3 }, '2026-12-02T10:01:00.000Z')).toBe('running');
    expect(jobStatus(job, false, { released: 12_000, open: 0 }, '2026-12-02T10:30:00.000Z')).toBe(
      'completed',
    );
    expect(jobStatus(job, false, { released: 50, open: 0 }, '2026-12-02T12:00:00.000Z')).toBe('expired');
    expect(jobStatus(job, true, { released: 50, open: 0 }, '2026-12-02T10:30:00.000Z')).toBe('cancelled');
  });
});
