import type { ClusterView } from '@etcd-patterns/console-contract';
import { isEtcdPatternsError, type Etcd3 } from '@etcd-patterns/etcd';
import { alarms, clusterHealth, clusterStatus, members, type ClusterOps } from '@etcd-patterns/ops';
import { consoleEtcdError } from './api-error';

/**
 * Finds etcd's compaction revision, which no call reports: the oldest revision that can still be
 * read. A read of nothing (the key `\0`, count only) at revision `r` fails with
 * `ETCD_COMPACTED` exactly when `r` is below it (a user who may not read that key gets
 * permission denied, and the revision stays unknown). The answer only grows, so the last one is
 * checked first (two reads) and a binary search runs only after a compaction.
 */
export class CompactRevisionFinder {
  private known = 0;

  /** The compaction revision (0: never compacted), at or below `currentRevision`. */
  async find(client: Etcd3, currentRevision: number): Promise<number> {
    const readable = async (revision: number): Promise<boolean> => {
      try {
        await client.kv.range({ key: Buffer.from([0]), count_only: true, revision }, { deadline: Date.now() + 2000 });
        return true;
      } catch (error) {
        const e = consoleEtcdError(error);
        if (isEtcdPatternsError(e, 'ETCD_COMPACTED')) return false;
        throw e;
      }
    };
    if (currentRevision <= 1) return 0;
    let lo = Math.max(1, Math.min(this.known, currentRevision)); // the answer only grows
    if (lo > 1) {
      if (await readable(lo)) {
        if (!(await readable(lo - 1))) return this.known;
        lo = 1; // older revisions are readable again (a restored cluster): search from the start
      } else {
        lo += 1;
      }
    }
    if (lo === 1) {
      if (await readable(1)) return (this.known = 0);
      lo = 2;
    }
    // The smallest readable revision in [lo, currentRevision] (currentRevision always is).
    let hi = currentRevision;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid + 1;
    }
    this.known = hi <= 1 ? 0 : hi;
    return this.known;
  }
}

/**
 * The `@etcd-patterns/ops` results as they are (status and health of every member, the member
 * list, the alarms), the store's revision and its compaction revision. A member that does not
 * answer is a row with `ok: false`; the member list or alarms failing (no quorum) gives empty
 * lists rather than a failed page, except for permission errors, which are answered as such.
 */
export async function clusterView(ops: ClusterOps, finder: CompactRevisionFinder): Promise<ClusterView> {
  const soft = <T>(promise: Promise<T[]>): Promise<T[]> =>
    promise.catch((error: unknown) => {
      if (isEtcdPatternsError(error, 'ETCD_PERMISSION_DENIED') || isEtcdPatternsError(error, 'ETCD_AUTH_FAILED')) throw error;
      return [];
    });
  const [endpoints, memberList, health, active] = await Promise.all([clusterStatus(ops), soft(members(ops)), clusterHealth(ops), soft(alarms(ops))]);
  let revision = 0;
  let compactRevision = 0;
  try {
    // Status needs no key permission; its header carries the store's revision.
    revision = Number((await ops.client.maintenance.status(ops.deadline())).header.revision);
    compactRevision = await finder.find(ops.client, revision);
  } catch (error) {
    // Unknown (0) when etcd does not answer, or the user may not read the probe key.
    const e = consoleEtcdError(error);
    if (e.code === 'ETCD_AUTH_FAILED') throw e;
  }
  return {
    endpoints: endpoints as unknown as ClusterView['endpoints'],
    members: memberList as unknown as ClusterView['members'],
    health: health as unknown as ClusterView['health'],
    alarms: active,
    revision,
    compactRevision,
  };
}
