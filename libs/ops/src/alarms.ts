import { AlarmAction, AlarmType } from 'etcd3';
import { etcdCall, type ClusterOps } from './cluster-ops';
import { memberIdHex } from './members';

/** An active alarm: `NOSPACE` (backend quota reached) or `CORRUPT` (data mismatch). */
export interface AlarmInfo {
  /** Member id (hex) that raised it. */
  readonly memberId: string;
  readonly alarm: 'NOSPACE' | 'CORRUPT';
}

const NAMES: Record<string, AlarmInfo['alarm'] | undefined> = { Nospace: 'NOSPACE', Corrupt: 'CORRUPT', '1': 'NOSPACE', '2': 'CORRUPT' };

/** Lists the active alarms of the whole cluster (empty when all is well). */
export async function alarms(ops: ClusterOps): Promise<AlarmInfo[]> {
  const res = await etcdCall('alarm list', () =>
    ops.client.maintenance.alarm({ action: AlarmAction.Get, memberID: 0, alarm: AlarmType.None }, ops.deadline()),
  );
  return (res.alarms ?? []).flatMap((a) => {
    const alarm = NAMES[String(a.alarm)];
    return alarm ? [{ memberId: memberIdHex(a.memberID), alarm }] : [];
  });
}

/**
 * Deactivates every active alarm and returns those it cleared. Clear a NOSPACE alarm only after
 * freeing space (compact, then defragment every member): etcd raises it again on the next
 * write otherwise.
 */
export async function disarm(ops: ClusterOps): Promise<AlarmInfo[]> {
  const active = await alarms(ops);
  for (const a of active) {
    await etcdCall('alarm disarm', () =>
      ops.client.maintenance.alarm(
        {
          action: AlarmAction.Deactivate,
          memberID: BigInt(`0x${a.memberId}`).toString(),
          alarm: a.alarm === 'NOSPACE' ? AlarmType.Nospace : AlarmType.Corrupt,
        },
        ops.deadline(),
      ),
    );
  }
  return active;
}
