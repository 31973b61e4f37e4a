import { throwIfAborted } from '@etcd-patterns/etcd';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { OpsError } from './errors';
import { findRestoreTool, type RestoreTool } from './restore-tool';
import { readSnapshotFile, type SnapshotFileStatus } from './snapshot-file';

/** Options for {@link restoreSnapshot}: the flags of `etcdutl snapshot restore`. */
export interface RestoreSnapshotOptions {
  /** The snapshot file. */
  readonly file: string;
  /** The new member's data directory; must not exist or be empty. */
  readonly dataDir: string;
  /** The member's name (`--name`). */
  readonly name: string;
  /** Every member of the new cluster, `name=peerURL,...` (`--initial-cluster`). */
  readonly initialCluster: string;
  /** This member's peer URLs (`--initial-advertise-peer-urls`). */
  readonly initialAdvertisePeerUrls: readonly string[];
  /** A token unique to the new cluster (`--initial-cluster-token`), the same for every member. */
  readonly initialClusterToken?: string;
  /**
   * Restore a file without the SHA-256 trailer (a copied `member/snap/db`). Default false: such a
   * file is refused, as etcd's tool does.
   */
  readonly skipHashCheck?: boolean;
  /** The tool to run (default {@link findRestoreTool}). */
  readonly tool?: RestoreTool;
  readonly signal?: AbortSignal;
}

/** What {@link restoreSnapshot} did. */
export interface RestoredSnapshot {
  readonly dataDir: string;
  readonly tool: RestoreTool;
  /** The snapshot's verified status (revision, keys, hash). */
  readonly snapshot: SnapshotFileStatus;
  /** What the tool printed. */
  readonly output: string;
}

/**
 * Writes a new member data directory from a snapshot by running etcd's own tool (`etcdutl
 * snapshot restore`, or `etcdctl snapshot restore` on etcd 3.4): the file is verified first
 * ({@link readSnapshotFile}), and the data directory must be new. Run it once per member of
 * the new cluster, with the same `initialCluster` and token, then start the members with those
 * data directories. The restored cluster has a new cluster id and keeps every key and revision.
 * @throws {OpsError} `OPS_SNAPSHOT_INVALID` (nothing written), `OPS_INVALID_ARGUMENT` (the
 *   data directory is not empty, bad flags), `OPS_TOOL_MISSING`, `OPS_RESTORE_FAILED` (with the
 *   tool's output).
 */
export async function restoreSnapshot(options: RestoreSnapshotOptions): Promise<RestoredSnapshot> {
  throwIfAborted(options.signal);
  if (!/^[A-Za-z0-9._-]+$/.test(options.name)) throw new OpsError('OPS_INVALID_ARGUMENT', `member name "${options.name}" must be letters, digits, '.', '_' or '-'`);
  if (!options.initialCluster.split(',').some((entry) => entry.startsWith(`${options.name}=`))) {
    throw new OpsError('OPS_INVALID_ARGUMENT', `--initial-cluster must name this member "${options.name}" (got "${options.initialCluster}")`);
  }
  if (options.initialAdvertisePeerUrls.length === 0) throw new OpsError('OPS_INVALID_ARGUMENT', 'at least one peer URL is required');
  const existing = await readdir(options.dataDir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)));
  if (existing.length > 0) throw new OpsError('OPS_INVALID_ARGUMENT', `data directory ${options.dataDir} is not empty; restore writes a new one`);
  const snapshot = await readSnapshotFile(options.file, { signal: options.signal, requireDigest: !options.skipHashCheck });
  const tool = options.tool ?? findRestoreTool();
  const args = [
    'snapshot',
    'restore',
    options.file,
    `--data-dir=${options.dataDir}`,
    `--name=${options.name}`,
    `--initial-cluster=${options.initialCluster}`,
    `--initial-advertise-peer-urls=${options.initialAdvertisePeerUrls.join(',')}`,
    `--initial-cluster-token=${options.initialClusterToken ?? 'etcd-cluster'}`,
    ...(options.skipHashCheck ? ['--skip-hash-check'] : []),
  ];
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      tool.path,
      args,
      { env: { ...process.env, ETCDCTL_API: '3' }, signal: options.signal, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        const text = `${stdout}${stderr}`.trim();
        if (!error) return resolve(text);
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(new OpsError('OPS_TOOL_MISSING', `${tool.path} is not there any more`, { cause: error }));
        }
        if (options.signal?.aborted) return reject(new OpsError('OPS_RESTORE_FAILED', 'restore aborted', { cause: error }));
        reject(new OpsError('OPS_RESTORE_FAILED', `${tool.kind} snapshot restore failed: ${text.split('\n').slice(-5).join(' | ') || error.message}`, { cause: error }));
      },
    );
  });
  return { dataDir: options.dataDir, tool, snapshot, output };
}
