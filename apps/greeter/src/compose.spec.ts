// docker-compose.yml cannot run here (no Docker): check statically that the greeter service sets
// exactly the variables the greeter reads (its env schema and telemetry's), with valid values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTelemetryEnv, telemetryEnvSchema } from '@etcd-patterns/telemetry';
import { parse } from 'yaml';
import { greeterEnvSchema, parseGreeterEnv } from './env';

const compose = parse(readFileSync(join(__dirname, '../../../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; build?: { dockerfile?: string } }>;
};

describe('docker-compose.yml: the greeter service', () => {
  const service = compose.services['greeter'];
  const environment = service?.environment ?? {};

  it('sets every variable the greeter reads, and reads every variable it sets', () => {
    const read = [...Object.keys(greeterEnvSchema.shape), ...Object.keys(telemetryEnvSchema.shape)].sort();
    expect(Object.keys(environment).sort()).toEqual(read);
  });

  it('sets valid values', () => {
    expect(() => parseGreeterEnv({ ...environment, GREETER_ADVERTISE_HOST: '127.0.0.1' })).not.toThrow(); // @ip needs a network interface
    expect(parseTelemetryEnv(environment)).toMatchObject({ OTEL_SERVICE_NAME: 'greeter', OTEL_SDK_DISABLED: false, METRICS_PORT: 9464 });
  });

  it('builds from the greeter Dockerfile', () => {
    expect(service?.build?.dockerfile).toBe('apps/greeter/Dockerfile');
    expect(readFileSync(join(__dirname, '../Dockerfile'), 'utf8')).toContain('apps/greeter/src/main.ts');
  });
});
