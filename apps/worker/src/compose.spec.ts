// docker-compose.yml cannot run here (no Docker): check statically that the worker service sets
// exactly the variables the worker reads (its env schema and telemetry's), with valid values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTelemetryEnv, telemetryEnvSchema } from '@etcd-patterns/telemetry';
import { parse } from 'yaml';
import { workerEnvSchema, parseWorkerEnv } from './env';

const compose = parse(readFileSync(join(__dirname, '../../../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; build?: { dockerfile?: string } }>;
};

describe('docker-compose.yml: the worker service', () => {
  const service = compose.services['worker'];
  const environment = service?.environment ?? {};

  it('sets every variable the worker reads, and reads every variable it sets', () => {
    const read = [...Object.keys(workerEnvSchema.shape), ...Object.keys(telemetryEnvSchema.shape)].sort();
    expect(Object.keys(environment).sort()).toEqual(read);
  });

  it('sets valid values', () => {
    expect(() => parseWorkerEnv({ ...environment, WORKER_ADVERTISE_HOST: '127.0.0.1' })).not.toThrow(); // @ip needs a network interface
    expect(parseTelemetryEnv(environment)).toMatchObject({ OTEL_SERVICE_NAME: 'worker', OTEL_SDK_DISABLED: false, METRICS_PORT: 9464 });
  });

  it('builds from the worker Dockerfile', () => {
    expect(service?.build?.dockerfile).toBe('apps/worker/Dockerfile');
    expect(readFileSync(join(__dirname, '../Dockerfile'), 'utf8')).toContain('apps/worker/src/main.ts');
  });
});
