// docker-compose.yml cannot run here (no Docker): check statically that the gateway service sets
// exactly the variables the gateway reads (its env schema and telemetry's), with valid values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTelemetryEnv, telemetryEnvSchema } from '@etcd-patterns/telemetry';
import { parse } from 'yaml';
import { gatewayEnvSchema, parseGatewayEnv } from './env';

const compose = parse(readFileSync(join(__dirname, '../../../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; build?: { dockerfile?: string } }>;
};

describe('docker-compose.yml: the gateway service', () => {
  const service = compose.services['gateway'];
  const environment = service?.environment ?? {};

  it('sets every variable the gateway reads, and reads every variable it sets', () => {
    const read = [...Object.keys(gatewayEnvSchema.shape), ...Object.keys(telemetryEnvSchema.shape)].sort();
    expect(Object.keys(environment).sort()).toEqual(read);
  });

  it('sets valid values', () => {
    expect(() => parseGatewayEnv(environment)).not.toThrow();
    expect(parseTelemetryEnv(environment)).toMatchObject({ OTEL_SERVICE_NAME: 'gateway', OTEL_SDK_DISABLED: false, METRICS_PORT: 9464 });
  });

  it('builds from the gateway Dockerfile', () => {
    expect(service?.build?.dockerfile).toBe('apps/gateway/Dockerfile');
    expect(readFileSync(join(__dirname, '../Dockerfile'), 'utf8')).toContain('apps/gateway/src/main.ts');
  });
});
