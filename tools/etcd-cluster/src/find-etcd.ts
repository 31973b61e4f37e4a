import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Thrown when no `etcd` (or `etcdctl`) binary can be found. */
export class EtcdBinaryNotFoundError extends Error {
  /** Stable error code. */
  readonly code = 'ETCD_BINARY_NOT_FOUND';
  constructor(binary: string, envVar: string) {
    super(
      `Cannot find the '${binary}' binary. Set ${envVar} to its path, or install it: ` +
        `'apt-get install -y etcd-server etcd-client' on Debian/Ubuntu ` +
        `(npm test and npm run demo do this for you when run as root).`,
    );
    this.name = 'EtcdBinaryNotFoundError';
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findBinary(binary: string, envVar: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new EtcdBinaryNotFoundError(binary, envVar);
  }
  const dirs = (process.env['PATH'] ?? '').split(delimiter).concat(['/usr/bin', '/usr/local/bin']);
  for (const dir of dirs) {
    const candidate = join(dir, binary);
    if (dir && isExecutable(candidate)) return candidate;
  }
  throw new EtcdBinaryNotFoundError(binary, envVar);
}

/**
 * Path of the `etcd` server binary: `ETCD_BIN`, else the first on `PATH`.
 * @throws {EtcdBinaryNotFoundError} with install instructions when missing.
 */
export function findEtcdBinary(): string {
  return findBinary('etcd', 'ETCD_BIN');
}

/**
 * Path of the `etcdctl` binary: `ETCDCTL_BIN`, else the first on `PATH`.
 * @throws {EtcdBinaryNotFoundError} with install instructions when missing.
 */
export function findEtcdctlBinary(): string {
  return findBinary('etcdctl', 'ETCDCTL_BIN');
}
