import { BACKUP_NAME_PATTERN } from '@etcd-patterns/ops';
import { hostname } from 'node:os';
import { isAbsolute } from 'node:path';
import { z } from 'zod';

/**
 * Every environment variable the backup app reads (telemetry reads the `OTEL_*`/`METRICS_*`
 * ones, see `telemetryEnvSchema`). Invalid values stop the process at start with a message
 * naming each.
 */
export const backupEnvSchema = z.object({
  /** Comma-separated etcd endpoints. */
  ETCD_ENDPOINTS: z.string({ error: 'is required (comma-separated host:port list)' }).min(1, 'is required (comma-separated host:port list)'),
  /**
   * TTL of each leadership term's lease, in seconds: after a leader is killed, how long until
   * another replica takes over.
   */
  ETCD_SESSION_TTL_SECONDS: z.coerce.number().int().min(2).max(3600).default(10),
  /** Name of this replica: its campaign value and the records' `by`. */
  INSTANCE_NAME: z.string().min(1).default(`backup-${hostname()}-${process.pid}`),
  /** Backup name: every replica of one schedule uses the same (election, record key, file names). */
  BACKUP_NAME: z.string().regex(BACKUP_NAME_PATTERN, "must be 1-64 letters, digits, '.', '_' or '-'").default('main'),
  /** Absolute directory of the backup files (created when missing); shared by the replicas or not. */
  BACKUP_DIR: z
    .string({ error: 'is required (an absolute directory)' })
    .min(1, 'is required (an absolute directory)')
    .refine(isAbsolute, 'must be an absolute path'),
  /** One backup per slot of this many ms (at least 1000). Default one hour. */
  BACKUP_INTERVAL_MS: z.coerce.number().int().min(1000).max(2 ** 31 - 1).default(3_600_000),
  /** Verified backup files kept; older ones of this name are deleted. */
  BACKUP_KEEP: z.coerce.number().int().min(1).max(100_000).default(24),
  /**
   * Slack on top of two intervals before `/health` answers 503 for a stale backup, in ms (a slot
   * may be missed once, and a snapshot takes time).
   */
  BACKUP_HEALTH_GRACE_MS: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(60_000),
  /** Interface of the HTTP server (`/health`). */
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  /** HTTP port; 0 picks a free one (logged as `url` in the "backup ready" line). */
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type BackupEnv = z.output<typeof backupEnvSchema>;

/**
 * Parses the backup app's environment.
 * @throws {Error} `invalid environment: NAME: problem; ...`.
 */
export function parseBackupEnv(env: NodeJS.ProcessEnv = process.env): BackupEnv {
  const picked = Object.fromEntries(Object.keys(backupEnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = backupEnvSchema.safeParse(picked);
  if (!parsed.success) {
    throw new Error(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}
