import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { OpsError } from './errors';

/** etcd's tool that restores snapshots: `etcdutl` (etcd 3.5+) or `etcdctl` (etcd 3.4). */
export interface RestoreTool {
  readonly kind: 'etcdutl' | 'etcdctl';
  readonly path: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Finds the restore tool: `ETCDUTL_BIN` or `etcdutl` on PATH first (3.5+ deprecates restoring
 * with etcdctl), then `ETCDCTL_BIN` or `etcdctl` on PATH (3.4 has no etcdutl).
 * @throws {OpsError} `OPS_TOOL_MISSING` saying what to install.
 */
export function findRestoreTool(env: NodeJS.ProcessEnv = process.env): RestoreTool {
  const candidates: Array<[RestoreTool['kind'], string | undefined]> = [
    ['etcdutl', env['ETCDUTL_BIN']],
    ['etcdutl', onPath('etcdutl', env)],
    ['etcdctl', env['ETCDCTL_BIN']],
    ['etcdctl', onPath('etcdctl', env)],
  ];
  for (const [kind, path] of candidates) if (path && executable(path)) return { kind, path };
  throw new OpsError(
    'OPS_TOOL_MISSING',
    "restoring a snapshot needs etcd's own tool, and neither etcdutl nor etcdctl was found (set ETCDUTL_BIN or ETCDCTL_BIN, or install Debian's etcd-client package)",
  );
}
