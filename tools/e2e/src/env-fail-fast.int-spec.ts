// Every app refuses a bad environment at start, with a message naming each bad variable.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appCommand, REPO_ROOT, type AppName } from '@etcd-patterns/demo';

jest.setTimeout(60_000);

async function run(app: AppName, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const { command, args, env: base } = appCommand(app);
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_') && !k.startsWith('OTEL_')));
  const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...clean, ...base, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

describe('fail-fast environment validation', () => {
  it.each<[AppName, Record<string, string>, RegExp]>([
    ['greeter', { GREETER_PORT: 'abc' }, /^greeter: invalid environment: ETCD_ENDPOINTS: is required .*; GREETER_PORT: /],
    ['worker', { ETCD_ENDPOINTS: 'e:1', WORKER_CONCURRENCY: '0' }, /^worker: invalid environment: WORKER_CONCURRENCY: /],
    ['gateway', { ETCD_ENDPOINTS: 'e:1', GREETER_TARGET: 'dns:///greeter' }, /^gateway: invalid environment: GREETER_TARGET: /],
    ['backup', { ETCD_ENDPOINTS: 'e:1', BACKUP_DIR: 'relative', BACKUP_INTERVAL_MS: '10' }, /^backup: invalid environment: BACKUP_DIR: must be an absolute path; BACKUP_INTERVAL_MS: /],
    ['gateway', { ETCD_ENDPOINTS: 'e:1', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /^invalid telemetry environment: OTEL_EXPORTER_OTLP_PROTOCOL: /],
    ['worker', { ETCD_ENDPOINTS: 'e:1', METRICS_PORT: 'http' }, /^invalid telemetry environment: METRICS_PORT: must be a port number/],
  ])('%s exits with code 78 and a clear message (%j)', async (app, env, message) => {
    const { code, stderr } = await run(app, env);
    expect(code).toBe(78);
    expect(stderr).toMatch(message);
  });
});
