// docker-compose.yml cannot run here (no Docker): check statically that the console service sets
// the variables the console reads (its env schema and telemetry's), with valid values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTelemetryEnv, telemetryEnvSchema } from '@etcd-patterns/telemetry';
import { parse } from 'yaml';
import { consoleEnvSchema, parseConsoleEnv } from './env';

const compose = parse(readFileSync(join(__dirname, '../../../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; build?: { dockerfile?: string }; ports?: string[] }>;
};

// Set only by the demo launcher, which runs the control endpoint they point at.
const DEMO_ONLY = ['CONSOLE_DEMO_CONTROL_URL', 'CONSOLE_DEMO_CONTROL_TOKEN'];

describe('docker-compose.yml: the console service', () => {
  const service = compose.services['console'];
  const environment = service?.environment ?? {};

  it('sets every variable the console reads (but the demo-only ones), and reads every variable it sets', () => {
    const read = [...Object.keys(consoleEnvSchema.shape).filter((k) => !DEMO_ONLY.includes(k)), ...Object.keys(telemetryEnvSchema.shape)].sort();
    expect(Object.keys(environment).sort()).toEqual(read);
  });

  it('sets valid values, and publishes the console on loopback only (etcd auth is off there)', () => {
    expect(parseConsoleEnv(environment)).toMatchObject({ CONSOLE_HOST: '0.0.0.0', CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH: true, CONSOLE_STATIC_DIR: 'apps/console-ui/dist' });
    expect(parseTelemetryEnv(environment)).toMatchObject({ OTEL_SERVICE_NAME: 'console', OTEL_SDK_DISABLED: false });
    expect(service?.ports?.every((p) => p.startsWith('127.0.0.1:'))).toBe(true);
  });

  it('builds from the console Dockerfile, which builds the UI', () => {
    expect(service?.build?.dockerfile).toBe('apps/console/Dockerfile');
    const dockerfile = readFileSync(join(__dirname, '../Dockerfile'), 'utf8');
    expect(dockerfile).toContain('apps/console/src/main.ts');
    expect(dockerfile).toMatch(/nx build console-ui|vite build apps\/console-ui/);
  });
});
