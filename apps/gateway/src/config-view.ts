import type { AppliedEntry, ConfigVersionInfo, LiveConfig } from '@etcd-patterns/config';

/** One replica in the config view. */
export interface ReplicaView {
  readonly instance: string;
  /** The version it runs with; undefined for a malformed report. */
  readonly version?: number;
  readonly source?: string;
  readonly appliedAt?: string;
  /** The last version it refused, and why. */
  readonly rejected?: { readonly version: number; readonly reason: string; readonly at: string };
  /** Why its report cannot be read (written by something else). */
  readonly invalid?: string;
  /** Whether it runs the published version. */
  readonly upToDate: boolean;
}

/**
 * The gateway's `GET /config/:env/:app` body: what is published, and what each replica
 * actually applied. `drift` is true when the live keys were written without `publish`
 * (`keys-edited`) or when a replica does not run the published version (`replicas-disagree`).
 */
export function configView(
  namespace: string,
  live: LiveConfig,
  versions: readonly ConfigVersionInfo[],
  applied: readonly AppliedEntry[],
): Record<string, unknown> {
  const replicas: ReplicaView[] = applied.map((r) =>
    r.valid
      ? {
          instance: r.instance,
          version: r.version,
          source: r.source,
          appliedAt: r.appliedAt,
          ...(r.rejected ? { rejected: { version: r.rejected.version, reason: r.rejected.reason, at: r.rejected.at } } : {}),
          upToDate: r.version === live.version,
        }
      : { instance: r.instance, invalid: r.error, upToDate: false },
  );
  const driftReasons = [
    ...(live.drift ? ['keys-edited'] : []),
    ...(replicas.some((r) => !r.upToDate) ? ['replicas-disagree'] : []),
  ];
  return {
    namespace,
    version: live.version,
    revision: live.revision,
    drift: driftReasons.length > 0,
    driftReasons,
    values: live.document,
    meta: live.meta,
    replicas,
    versions: versions.map((v) => ({
      version: v.version,
      author: v.author,
      message: v.message,
      time: v.time,
      revision: v.revision,
      ...(v.rollbackOf === undefined ? {} : { rollbackOf: v.rollbackOf }),
    })),
  };
}
