import { decodeJob, encodeJob, jobKey, jobLockName, newJob, submitJobSchema, toProtoJob } from './job-record';

describe('job records', () => {
  const job = newJob('5b9b26ba-ab81-48ca-8db0-9b94933f2c6d', ['Ada', 'Grace'], { traceparent: '00-abc-def-01' }, new Date('2026-01-01T00:00:00Z'));

  it('round-trips through etcd values and refuses anything else', () => {
    expect(decodeJob(Buffer.from(encodeJob(job)))).toEqual(job);
    expect(decodeJob('{"id": 1}')).toBeUndefined();
    expect(decodeJob('not json')).toBeUndefined();
  });

  it('keeps job records and lock keys under separate prefixes', () => {
    expect(jobKey('x')).toBe('/jobs/x');
    expect(jobLockName('x')).toBe('/locks/jobs/x');
    expect(jobLockName('x').startsWith('/jobs/')).toBe(false);
  });

  it('maps to the gRPC Job without the trace context', () => {
    const proto = toProtoJob({ ...job, status: 'done', results: ['Hello, Ada!', 'Hello, Grace!'], finishedBy: 'w1', finishedAt: 't' });
    expect(proto).toMatchObject({ status: 'JOB_STATUS_DONE', finishedBy: 'w1', attempts: 0, fencingToken: 0 });
    expect(proto).not.toHaveProperty('trace');
  });

  it('validates submissions', () => {
    expect(submitJobSchema.safeParse({ id: job.id, names: ['Ada'] }).success).toBe(true);
    const bad = submitJobSchema.safeParse({ id: 'x', names: [] });
    expect(bad.error?.issues.map((i) => i.message)).toEqual(['id must be a UUID', 'names must contain at least one name']);
  });
});
