import { abortableSleep, abortError, Backoff, throwIfAborted, toEtcdError } from '@etcd-patterns/etcd';
import { isLockError, type Leadership } from '@etcd-patterns/lock';
import type { IRequestOp } from 'etcd3';
import { join } from 'node:path';
import { OpsError } from '../../errors';
import { saveSnapshot } from '../../snapshot';
import { readSnapshotFile } from '../../snapshot-file';
import { listBackupFiles } from '../backup-files';
import type { ResolvedBackupOptions } from '../backup-options';
import { backupFileName, backupRecordKey, slotOf, slotStartMs } from '../backup-names';
import { encodeBackupRecord, readBackupRecord, type BackupRecord, type StoredBackup } from '../backup-record';
import { IdleSignal } from './idle-signal';
import { pruneBackups } from './prune-backups';

/** A recorded backup of one slot. */
interface SlotResult {
  readonly record: BackupRecord;
  readonly adopted: boolean;
  readonly tookMs: number;
}

/**
 * One leadership term of a backup runner (the task given to `runAsLeader`): until `signal`
 * fires, read the record, skip the slot if it is done, otherwise back it up (or adopt a
 * previous leader's unrecorded file of this slot), record it with a fenced write, prune, and
 * wait for the next slot. Failures are reported and retried after a back-off; this function
 * only returns when `signal` fires.
 */
export async function runBackupTerm(o: ResolvedBackupOptions, leadership: Leadership, signal: AbortSignal): Promise<void> {
  o.onEvent({ type: 'elected', instance: o.instance, token: leadership.token });
  const backoff = new Backoff({ initialMs: o.retryDelayMs, maxMs: Math.max(o.retryDelayMs, Math.min(o.intervalMs, 30_000)) });
  const staleTempMs = Math.max(2 * o.intervalMs, 10 * 60_000);
  let pruneDue = true;

  const fail = async (slot: number, error: unknown): Promise<void> => {
    const retryInMs = Math.round(backoff.next());
    o.onError(error);
    o.onEvent({ type: 'failed', slot, error, retryInMs });
    await abortableSleep(retryInMs, signal, { unref: true }).catch(() => undefined);
  };
  const prune = async (recordedFile: string | undefined): Promise<void> => {
    // A deposed leader must not prune: it could take its successor's file for a duplicate.
    if (signal.aborted) return;
    try {
      const { deleted, errors } = await pruneBackups(o.dir, o.name, o.keep, recordedFile, staleTempMs);
      if (deleted.length > 0) o.onEvent({ type: 'pruned', files: deleted });
      for (const e of errors) o.onError(e);
      pruneDue = false;
    } catch (error) {
      o.onError(error);
    }
  };

  try {
    while (!signal.aborted) {
      let stored: StoredBackup;
      try {
        stored = await readBackupRecord(o.client, o.name, { signal, timeoutMs: o.callTimeoutMs });
      } catch (error) {
        if (signal.aborted) break;
        await fail(slotOf(Date.now(), o.intervalMs), error);
        continue;
      }
      if (stored.state === 'malformed') o.onEvent({ type: 'malformed-record', problem: stored.problem });
      const recorded = stored.state === 'ok' ? stored.record : undefined;
      if (pruneDue) await prune(recorded?.file);

      const now = Date.now();
      const slot = slotOf(now, o.intervalMs);
      // The record's slot in this runner's interval, from its start time (equal to `record.slot`
      // unless the interval was changed since it was written).
      const recordedSlot = recorded ? slotOf(Date.parse(recorded.at), o.intervalMs) : undefined;
      if (recorded && recordedSlot !== undefined && recordedSlot >= slot && recordedSlot <= slot + 1) {
        // Done already (by this replica or another one, maybe a deposed leader): next slot.
        // (One slot ahead: the writer's clock is ahead of this one; wait for that slot to pass.
        // Further ahead is a wrong clock: not trusted, this slot is backed up.)
        const nextAttemptAt = slotStartMs(recordedSlot + 1, o.intervalMs);
        o.onEvent({ type: 'skipped', slot, doneBy: recorded.by, nextAttemptAt });
        await abortableSleep(Math.max(0, nextAttemptAt - Date.now()), signal, { unref: true }).catch(() => undefined);
        continue;
      }
      let result: SlotResult;
      try {
        result = await backUpSlot(o, leadership, signal, slot, now);
      } catch (error) {
        if (signal.aborted) break; // the term is over (lost or stopped): not a failure of the backup
        await fail(slot, error);
        continue;
      }
      backoff.reset();
      o.onEvent({ type: 'saved', slot, record: result.record, tookMs: result.tookMs, adopted: result.adopted });
      await prune(result.record.file);
      const next = slotStartMs(slot + 1, o.intervalMs);
      await abortableSleep(Math.max(0, next - Date.now()), signal, { unref: true }).catch(() => undefined);
    }
  } finally {
    o.onEvent({ type: 'term-ended', reason: signal.reason });
  }
}

/** Backs up `slot` (or adopts a complete unrecorded file of it) and records it. */
async function backUpSlot(o: ResolvedBackupOptions, leadership: Leadership, signal: AbortSignal, slot: number, now: number): Promise<SlotResult> {
  const started = performance.now();
  // A leader killed between renaming its file into place and recording it left a complete,
  // verified file of this slot: record that one rather than take a second backup in the slot.
  for (const existing of (await listBackupFiles(o.dir, o.name)).filter((f) => f.slot === slot)) {
    let status;
    try {
      status = await readSnapshotFile(existing.path, { signal, requireDigest: true });
    } catch (error) {
      throwIfAborted(signal);
      o.onError(error); // not adoptable (pruned as a duplicate once this slot is recorded)
      continue;
    }
    if (!status.sha256) continue;
    const record: BackupRecord = {
      slot,
      file: existing.file,
      bytes: status.fileBytes,
      sha256: status.sha256,
      revision: status.revision,
      totalKeys: status.totalKeys,
      at: existing.at.toISOString(),
      by: o.instance,
    };
    await writeRecord(o, leadership, signal, record);
    return { record, adopted: true, tookMs: Math.round(performance.now() - started) };
  }

  // Reading `aborted` checks the lease deadline: no snapshot starts after a stall that outlasted it.
  throwIfAborted(signal);
  const at = new Date(now);
  const file = backupFileName(o.name, at, slot);
  o.onEvent({ type: 'started', slot, file });
  const idle = new IdleSignal(signal, o.snapshotIdleTimeoutMs, () =>
    new OpsError('OPS_ENDPOINT_UNREACHABLE', `snapshot stream stalled: no data for ${o.snapshotIdleTimeoutMs} ms; nothing was saved`),
  );
  let saved;
  try {
    saved = await saveSnapshot(o.client, join(o.dir, file), {
      verify: 'full',
      signal: idle.signal,
      onProgress: (_written, remaining) => (remaining > 0 ? idle.kick() : idle.stopIdleCheck()),
    });
  } catch (error) {
    // An abort by the term (lost leadership, stop) surfaces as the term's reason; a stall as
    // the idle error. Both leave no file (saveSnapshot removes its temporary file).
    if (signal.aborted) throw abortError(signal);
    throw error;
  } finally {
    idle.dispose();
  }
  const status = saved.status!;
  const record: BackupRecord = {
    slot,
    file,
    bytes: saved.bytes,
    sha256: saved.sha256,
    revision: status.revision,
    totalKeys: status.totalKeys,
    at: at.toISOString(),
    by: o.instance,
    ...(saved.memberId ? { memberId: saved.memberId } : {}),
  };
  await writeRecord(o, leadership, signal, record);
  return { record, adopted: false, tookMs: Math.round(performance.now() - started) };
}

/**
 * Records `record` with a write fenced by leadership, so a deposed leader cannot overwrite its
 * successor's record. A failure with an unknown outcome (`ETCD_UNAVAILABLE`) is retried (the
 * same put again is harmless); `ELECTION_NOT_LEADER` means nothing was written and is thrown.
 * When it is thrown, the file stays: the next leader records it (same slot) or prunes it.
 */
async function writeRecord(o: ResolvedBackupOptions, leadership: Leadership, signal: AbortSignal, record: BackupRecord): Promise<void> {
  const op: IRequestOp = { request_put: { key: Buffer.from(backupRecordKey(o.name)), value: Buffer.from(encodeBackupRecord(record)) } };
  const backoff = new Backoff({ initialMs: 100, maxMs: 2000 });
  for (;;) {
    throwIfAborted(signal);
    try {
      await leadership.fencedTxn(op);
      return;
    } catch (error) {
      if (isLockError(error)) throw error;
      const e = toEtcdError(error, 'record backup');
      if (!e.retryable) throw e;
      o.onError(e);
      await abortableSleep(backoff.next(), signal, { unref: true });
    }
  }
}
