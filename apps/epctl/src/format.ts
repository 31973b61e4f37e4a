import { EtcdPatternsError } from '@etcd-patterns/etcd';
import { stringify } from 'yaml';
import { ConfigConflictError, ConfigValidationError, type ConfigDiff, type ConfigVersionInfo } from '@etcd-patterns/config';

/** One-line JSON of a value (for diffs). */
export function short(value: unknown): string {
  const s = JSON.stringify(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** `+ path: value`, `- path: value`, `~ path: from -> to` lines. */
export function formatDiff(diff: ConfigDiff): string {
  const lines = [
    ...diff.added.map((d) => `+ ${d.path}: ${short(d.value)}`),
    ...diff.removed.map((d) => `- ${d.path}: ${short(d.value)}`),
    ...diff.changed.map((d) => `~ ${d.path}: ${short(d.from)} -> ${short(d.to)}`),
  ];
  return lines.length === 0 ? '(no changes)\n' : `${lines.join('\n')}\n`;
}

/** The history table. */
export function formatHistory(versions: readonly ConfigVersionInfo[]): string {
  if (versions.length === 0) return '(no versions)\n';
  const rows = versions.map((v) => [
    String(v.version),
    String(v.revision),
    v.time,
    v.author,
    v.rollbackOf ? `[rollback to ${v.rollbackOf}] ${v.message}` : v.message,
  ]);
  const header = ['VERSION', 'REVISION', 'TIME', 'AUTHOR', 'MESSAGE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** A document as YAML. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 });
}

/** The JSON form of an error, for `--json`. */
export function errorJson(error: unknown): Record<string, unknown> {
  if (!(error instanceof EtcdPatternsError)) return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
  return {
    code: error.code,
    message: error.message,
    retryable: error.retryable,
    ...(error instanceof ConfigValidationError ? { issues: error.issues } : {}),
    ...(error instanceof ConfigConflictError ? { baseVersion: error.baseVersion, currentVersion: error.currentVersion } : {}),
  };
}

/** The human form of an error, with a hint where one helps. */
export function errorText(error: unknown): string {
  if (!(error instanceof EtcdPatternsError)) return `epctl: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`;
  let text = `epctl: [${error.code}] ${error.message}\n`;
  if (error instanceof ConfigValidationError) {
    text = `epctl: [${error.code}] ${error.context}\n${error.issues.map((i) => `  ${i.at ? `${i.at}: ` : ''}${i.path || '(document)'}: ${i.message}`).join('\n')}\n`;
  }
  const hint: Record<string, string> = {
    CONFIG_CONFLICT: 'fetch the live version (epctl config get), merge, and publish again with --base-version',
    ETCD_AUTH_FAILED: 'check --user/--password (or ETCD_USERNAME/ETCD_PASSWORD)',
    ETCD_PERMISSION_DENIED: 'this user may not access that key range; publishing needs root or a user with write access to the config root',
    ETCD_UNAVAILABLE: 'check --endpoints (or ETCD_ENDPOINTS) and that etcd is running',
  };
  if (hint[error.code]) text += `hint: ${hint[error.code]}\n`;
  return text;
}
