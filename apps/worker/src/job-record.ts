import type { Job } from '@etcd-patterns/protos';
import { z } from 'zod';

/** Root of the job records: `/jobs/<id>`, one JSON document per job. */
export const JOBS_PREFIX = '/jobs/';
/** Root of the job locks: `/locks/jobs/<id>` (Go `concurrency.Mutex` layout below it). */
export const JOB_LOCKS_PREFIX = '/locks/jobs/';
/** The election whose leader re-queues jobs of dead workers. */
export const REQUEUE_ELECTION = '/elections/worker-requeue';

export const jobKey = (id: string): string => `${JOBS_PREFIX}${id}`;
export const jobLockName = (id: string): string => `${JOB_LOCKS_PREFIX}${id}`;

/** A job as stored in etcd. */
export const jobRecordSchema = z.object({
  id: z.string(),
  names: z.array(z.string()),
  /** One greeting per processed name, in order; processing resumes after the last one. */
  results: z.array(z.string()),
  status: z.enum(['queued', 'running', 'done']),
  /** Instance holding (or that last held) the job. */
  worker: z.string(),
  /** Claims so far. */
  attempts: z.number().int(),
  /** Fencing token of the current or last holder (lock create revision). */
  fencingToken: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  finishedBy: z.string().optional(),
  /** W3C trace context of the submit, so processing continues the submitter's trace. */
  trace: z.record(z.string(), z.string()).optional(),
});

export type JobRecord = z.output<typeof jobRecordSchema>;

/** Parses a stored record; undefined for a value that is not one (reported by the caller). */
export function decodeJob(value: Buffer | string): JobRecord | undefined {
  try {
    const parsed = jobRecordSchema.safeParse(JSON.parse(value.toString()));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function encodeJob(job: JobRecord): string {
  return JSON.stringify(job);
}

/** A new queued job. */
export function newJob(id: string, names: readonly string[], trace: Record<string, string>, now = new Date()): JobRecord {
  const time = now.toISOString();
  return { id, names: [...names], results: [], status: 'queued', worker: '', attempts: 0, fencingToken: 0, createdAt: time, updatedAt: time, trace };
}

const STATUS = { queued: 'JOB_STATUS_QUEUED', running: 'JOB_STATUS_RUNNING', done: 'JOB_STATUS_DONE' } as const;

/** The gRPC view of a record (without the trace context). */
export function toProtoJob(job: JobRecord): Job {
  return {
    id: job.id,
    status: STATUS[job.status],
    names: job.names,
    results: job.results,
    worker: job.worker,
    attempts: job.attempts,
    fencingToken: job.fencingToken,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt ?? '',
    finishedBy: job.finishedBy ?? '',
  };
}

const name = z.string().trim().min(1, 'names must not be empty').max(100, 'names must be at most 100 characters');
/** What SubmitJob accepts. */
export const submitJobSchema = z.object({
  id: z.uuid({ error: 'id must be a UUID' }),
  names: z.array(name).min(1, 'names must contain at least one name').max(100, 'names must contain at most 100 names'),
});
