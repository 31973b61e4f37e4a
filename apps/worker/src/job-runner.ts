import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { abortableSleep, isEtcdPatternsError, watchPrefix, type KeyValue } from '@etcd-patterns/etcd';
import { isLockError, type LockHandle } from '@etcd-patterns/lock';
import { LockService } from '@etcd-patterns/nest';
import { traceLockHold, traceLockWait, withSpanFromCarrier } from '@etcd-patterns/telemetry';
import type { Logger } from 'pino';
import type { WorkerEnv } from './env';
import { GreeterClient } from './greeter-client';
import { decodeJob, encodeJob, jobKey, jobLockName, JOBS_PREFIX, type JobRecord } from './job-record';
import { JobStore } from './job-store';
import { LOGGER, WORKER_ENV } from './tokens';

type Outcome = 'done' | 'lost' | 'handed-back';

/**
 * Competes for queued jobs and processes them. A queued job is offered to every replica (a
 * watch on `/jobs/`, plus a periodic rescan); each tries the job's lock without waiting
 * (`tryLock`), so exactly one processes it. Every write of the holder (claim, progress after
 * each name, completion) is one fenced transaction: applied only while the lock key with the
 * holder's create revision exists, so a holder that lost its lease (paused, partitioned) can
 * never overwrite the work of the next one. Processing resumes after the last recorded result.
 *
 * On shutdown: no new claims; jobs in progress stop after the current name and are handed
 * back (status `queued`, fenced), so another replica resumes them at once.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly stop = new AbortController();
  private readonly active = new Map<string, Promise<void>>();
  private readonly loops: Promise<void>[] = [];
  private rescanNow: (() => void) | undefined;

  constructor(
    @Inject(JobStore) private readonly store: JobStore,
    @Inject(LockService) private readonly locks: LockService,
    @Inject(GreeterClient) private readonly greeter: GreeterClient,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.loops.push(this.watchLoop(), this.rescanLoop());
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.loops);
    await Promise.all(this.active.values());
  }

  private offer(id: string): void {
    if (this.stop.signal.aborted || this.active.has(id) || this.active.size >= this.env.WORKER_CONCURRENCY) return;
    const run = this.run(id)
      .catch((error: unknown) => this.log.warn({ jobId: id, err: error }, 'job run failed'))
      .finally(() => {
        this.active.delete(id);
        this.rescanNow?.(); // a slot is free: look for more queued work
      });
    this.active.set(id, run);
  }

  private async run(id: string): Promise<void> {
    const seen = await this.store.get(id);
    if (!seen || seen.job.status !== 'queued') return;
    const lockName = jobLockName(id);
    await withSpanFromCarrier(seen.job.trace, 'job.run', { 'job.id': id, 'worker.instance': this.env.INSTANCE_NAME }, async (span) => {
      const mutex = await this.locks.mutex(lockName);
      const handle = await traceLockWait(lockName, () => mutex.tryLock({ signal: this.stop.signal }));
      span.setAttribute('job.claimed', handle !== undefined);
      if (!handle) return; // another replica has it
      try {
        const current = await this.store.get(id); // re-read under the lock
        // `running` here means its previous holder's lock is gone (we hold it): take it over.
        if (!current || current.job.status === 'done') return;
        const claimed: JobRecord = {
          ...current.job,
          status: 'running',
          worker: this.env.INSTANCE_NAME,
          attempts: current.job.attempts + 1,
          fencingToken: handle.token,
          updatedAt: new Date().toISOString(),
        };
        await this.write(handle, claimed);
        span.setAttributes({ 'job.attempt': claimed.attempts, 'job.resume_at': claimed.results.length, 'job.items': claimed.names.length });
        this.log.info({ jobId: id, attempt: claimed.attempts, resumeAt: claimed.results.length, total: claimed.names.length, fencingToken: handle.token }, 'job claimed');
        const outcome = await traceLockHold(handle, lockName, () => this.process(handle, claimed));
        span.setAttribute('job.outcome', outcome);
      } finally {
        await handle.unlock().catch(() => undefined);
      }
    });
  }

  private async process(handle: LockHandle, claimed: JobRecord): Promise<Outcome> {
    const interrupt = new AbortController();
    const onAbort = (): void => interrupt.abort();
    handle.lost.addEventListener('abort', onAbort, { once: true });
    this.stop.signal.addEventListener('abort', onAbort, { once: true });
    const signal = interrupt.signal;
    let job = claimed;
    try {
      while (job.results.length < job.names.length && !signal.aborted) {
        if (this.env.WORKER_ITEM_DELAY_MS > 0) await abortableSleep(this.env.WORKER_ITEM_DELAY_MS, signal).catch(() => undefined);
        if (signal.aborted) break;
        const greeting = await this.greet(job.names[job.results.length]!, signal);
        if (greeting === undefined) break;
        job = { ...job, results: [...job.results, greeting], updatedAt: new Date().toISOString() };
        await this.write(handle, job);
      }
      if (job.results.length === job.names.length) {
        const now = new Date().toISOString();
        await this.write(handle, { ...job, status: 'done', updatedAt: now, finishedAt: now, finishedBy: this.env.INSTANCE_NAME });
        this.log.info({ jobId: job.id, attempt: job.attempts, items: job.names.length }, 'job done');
        return 'done';
      }
      if (handle.lost.aborted) {
        this.log.warn({ jobId: job.id, reason: String(handle.lost.reason) }, 'lost the job lock; another replica will resume it');
        return 'lost';
      }
      await this.write(handle, { ...job, status: 'queued', worker: '', updatedAt: new Date().toISOString() });
      this.log.info({ jobId: job.id, done: job.results.length, total: job.names.length }, 'job handed back');
      return 'handed-back';
    } catch (error) {
      if (isLockError(error, 'LOCK_NOT_HELD')) {
        this.log.warn({ jobId: job.id }, 'fenced write refused: the lock is no longer ours; stopping');
        return 'lost';
      }
      throw error;
    } finally {
      handle.lost.removeEventListener('abort', onAbort);
      this.stop.signal.removeEventListener('abort', onAbort);
    }
  }

  /** One greeting; transient failures are retried with backoff. Undefined when interrupted or failing. */
  private async greet(name: string, signal: AbortSignal): Promise<string | undefined> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        return (await this.greeter.sayHello(name)).message;
      } catch (error) {
        if (attempt >= 5) {
          this.log.warn({ err: error, name }, 'greeter keeps failing; handing the job back');
          return undefined;
        }
        await abortableSleep(200 * 2 ** (attempt - 1), signal).catch(() => undefined);
      }
    }
    return undefined;
  }

  /**
   * A fenced put of the whole record. Retried on retryable errors: putting the same record
   * again is idempotent, and the fence still guarantees the lock is held when it applies.
   */
  private async write(handle: LockHandle, job: JobRecord): Promise<void> {
    const op = { request_put: { key: Buffer.from(jobKey(job.id)), value: Buffer.from(encodeJob(job)) } };
    for (let attempt = 1; ; attempt++) {
      try {
        await handle.fencedTxn(op);
        return;
      } catch (error) {
        if (!isEtcdPatternsError(error) || !error.retryable || attempt >= 5 || handle.lost.aborted) throw error;
        await abortableSleep(100 * attempt);
      }
    }
  }

  private async watchLoop(): Promise<void> {
    const signal = this.stop.signal;
    while (!signal.aborted) {
      try {
        for await (const message of watchPrefix(this.store.client, JOBS_PREFIX, { signal })) {
          const kvs: readonly KeyValue[] =
            message.kind === 'events' ? message.events.filter((e) => e.type === 'put').map((e) => e.kv) : message.kvs;
          for (const kv of kvs) {
            const job = decodeJob(kv.value);
            if (job?.status === 'queued') this.offer(job.id);
          }
        }
      } catch (error) {
        if (signal.aborted) return;
        this.log.warn({ err: error }, 'job watch failed; retrying');
        await abortableSleep(1000, signal).catch(() => undefined);
      }
    }
  }

  // The watch misses nothing, but offers are dropped while all slots are busy: look again
  // periodically and whenever a slot frees up.
  private async rescanLoop(): Promise<void> {
    const signal = this.stop.signal;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.env.WORKER_RESCAN_INTERVAL_MS);
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        this.rescanNow = done;
        signal.addEventListener('abort', done, { once: true });
      });
      this.rescanNow = undefined;
      if (signal.aborted) return;
      try {
        for (const { job } of await this.store.list()) if (job.status === 'queued') this.offer(job.id);
      } catch (error) {
        this.log.warn({ err: error }, 'job rescan failed');
      }
    }
  }
}
