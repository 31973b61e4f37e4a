import { Inject, Injectable } from '@nestjs/common';
import { prefixRangeEnd, toEtcdError, type Etcd3 } from '@etcd-patterns/etcd';
import { ETCD_CLIENT } from '@etcd-patterns/nest';
import { decodeJob, encodeJob, jobKey, JOBS_PREFIX, type JobRecord } from './job-record';

/** A job and the revision it was read at (for compare-and-swap). */
export interface StoredJob {
  readonly job: JobRecord;
  readonly modRevision: number;
}

/** Reads and creates job records. Writes by a lock holder go through the lock's `fencedTxn`. */
@Injectable()
export class JobStore {
  constructor(@Inject(ETCD_CLIENT) readonly client: Etcd3) {}

  /**
   * Creates the job if `id` is free (one txn), else returns what is stored: a retried submit
   * never creates a second job. `created` tells which.
   */
  async create(job: JobRecord): Promise<{ job: JobRecord; created: boolean }> {
    const key = Buffer.from(jobKey(job.id));
    try {
      const res = await this.client.kv.txn({
        compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key, value: Buffer.from(encodeJob(job)) } }],
        failure: [{ request_range: { key } }],
      });
      if (res.succeeded) return { job, created: true };
      const kv = res.responses[0]?.response_range.kvs[0];
      const existing = kv ? decodeJob(kv.value) : undefined;
      if (!existing) throw new Error(`job ${job.id}: stored value is not a job`);
      return { job: existing, created: false };
    } catch (error) {
      throw toEtcdError(error, `create job ${job.id}`);
    }
  }

  /** The job, or undefined. Linearizable. */
  async get(id: string): Promise<StoredJob | undefined> {
    try {
      const res = await this.client.kv.range({ key: Buffer.from(jobKey(id)) });
      const kv = res.kvs[0];
      const job = kv ? decodeJob(kv.value) : undefined;
      return kv && job ? { job, modRevision: Number(kv.mod_revision) } : undefined;
    } catch (error) {
      throw toEtcdError(error, `get job ${id}`);
    }
  }

  /**
   * Every job (a scan of `/jobs/`). Fine for a reference app; a real queue would keep a
   * status index (`/jobs-by-status/queued/<id>`) written in the same transactions.
   */
  async list(): Promise<StoredJob[]> {
    const key = Buffer.from(JOBS_PREFIX);
    try {
      const res = await this.client.kv.range({ key, range_end: prefixRangeEnd(key) });
      return res.kvs.flatMap((kv) => {
        const job = decodeJob(kv.value);
        return job ? [{ job, modRevision: Number(kv.mod_revision) }] : [];
      });
    } catch (error) {
      throw toEtcdError(error, 'list jobs');
    }
  }
}
