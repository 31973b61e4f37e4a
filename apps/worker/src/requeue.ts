import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { abortableSleep, prefixRangeEnd, toEtcdError } from '@etcd-patterns/etcd';
import type { Leadership } from '@etcd-patterns/lock';
import { LockService } from '@etcd-patterns/nest';
import { traceElectionTerm } from '@etcd-patterns/telemetry';
import type { Logger } from 'pino';
import type { WorkerEnv } from './env';
import { encodeJob, jobKey, jobLockName, REQUEUE_ELECTION } from './job-record';
import { JobStore } from './job-store';
import { LOGGER, WORKER_ENV } from './tokens';

/**
 * One replica, elected, re-queues jobs whose worker died: a job `running` while nobody holds
 * its lock (the holder's lease expired, so its lock key is gone). The re-queue is one
 * transaction guarded three ways: this replica still leads (leadership fence), the job did not
 * change since it was read, and its lock prefix is still empty.
 */
@Injectable()
export class RequeueLeader implements OnApplicationBootstrap {
  constructor(
    @Inject(LockService) private readonly locks: LockService,
    @Inject(JobStore) private readonly store: JobStore,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const me = this.env.INSTANCE_NAME;
    // LockService stops the loop (resigning) in beforeApplicationShutdown.
    this.locks.runAsLeader(
      REQUEUE_ELECTION,
      me,
      (leadership, signal) =>
        traceElectionTerm(REQUEUE_ELECTION, me, leadership.token, async () => {
          this.log.info({ election: REQUEUE_ELECTION, fencingToken: leadership.token }, 'elected: re-queueing jobs of dead workers');
          while (!signal.aborted) {
            await this.sweep(leadership).catch((error: unknown) => this.log.warn({ err: error }, 're-queue sweep failed'));
            await abortableSleep(this.env.WORKER_REQUEUE_INTERVAL_MS, signal).catch(() => undefined);
          }
          this.log.info({ election: REQUEUE_ELECTION }, 'leadership ended');
        }),
      { onError: (error) => this.log.warn({ err: error }, 're-queue leader error') },
    );
  }

  /** Re-queues every orphaned running job. Returns how many. */
  async sweep(leadership: Leadership): Promise<number> {
    let requeued = 0;
    for (const { job, modRevision } of await this.store.list()) {
      if (job.status !== 'running') continue;
      const key = Buffer.from(jobKey(job.id));
      const locks = Buffer.from(`${jobLockName(job.id)}/`);
      const next = { ...job, status: 'queued' as const, worker: '', updatedAt: new Date().toISOString() };
      try {
        const res = await this.store.client.kv.txn({
          compare: [
            leadership.compare(),
            { key, target: 'Mod', result: 'Equal', mod_revision: modRevision },
            // Over a range: true only when no key in it exists (nobody holds or waits for the lock).
            { key: locks, range_end: prefixRangeEnd(locks), target: 'Create', result: 'Equal', create_revision: 0 },
          ],
          success: [{ request_put: { key, value: Buffer.from(encodeJob(next)) } }],
          failure: [],
        });
        if (res.succeeded) {
          requeued++;
          this.log.info({ jobId: job.id, deadWorker: job.worker, done: job.results.length, total: job.names.length }, 're-queued a job whose worker died');
        }
      } catch (error) {
        this.log.warn({ jobId: job.id, err: toEtcdError(error) }, 're-queue failed');
      }
    }
    return requeued;
  }
}
