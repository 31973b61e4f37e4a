// docker-compose.yml cannot run here (no Docker): check statically that the backup service sets
// exactly the variables the app reads (its env schema and telemetry's), with valid values, and
// keeps its backups on a volume shared by its replicas.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTelemetryEnv, telemetryEnvSchema } from '@etcd-patterns/telemetry';
import { parse } from 'yaml';
import { backupEnvSchema, parseBackupEnv } from './env';

interface Service {
  environment?: Record<string, string>;
  build?: { dockerfile?: string };
  volumes?: string[];
  deploy?: { replicas?: number };
  ports?: string[];
  healthcheck?: { test?: string[] };
}

const compose = parse(readFileSync(join(__dirname, '../../../docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};

describe('docker-compose.yml: the backup service', () => {
  const service = compose.services['backup'];
  const environment = service?.environment ?? {};

  it('sets every variable the app reads, and reads every variable it sets', () => {
    const read = [...Object.keys(backupEnvSchema.shape), ...Object.keys(telemetryEnvSchema.shape)].sort();
    expect(Object.keys(environment).sort()).toEqual(read);
  });

  it('sets valid values', () => {
    expect(parseBackupEnv(environment)).toMatchObject({ BACKUP_DIR: '/backups', HTTP_PORT: 8081 });
    expect(parseTelemetryEnv(environment)).toMatchObject({ OTEL_SERVICE_NAME: 'backup', OTEL_SDK_DISABLED: false });
  });

  it('runs two replicas on one named volume mounted at BACKUP_DIR, with /health as health check', () => {
    expect(service?.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(service?.ports).toBeUndefined(); // replicas would clash on a host port
    expect(service?.volumes).toContain(`backups:${environment['BACKUP_DIR']}`);
    expect(compose.volumes).toHaveProperty('backups');
    expect(service?.healthcheck?.test?.join(' ')).toContain(`127.0.0.1:${environment['HTTP_PORT']}/health`);
  });

  it('builds from the backup Dockerfile', () => {
    expect(service?.build?.dockerfile).toBe('apps/backup/Dockerfile');
    const dockerfile = readFileSync(join(__dirname, '../Dockerfile'), 'utf8');
    expect(dockerfile).toContain('apps/backup/src/main.ts');
    expect(dockerfile).toMatch(/chown node:node \/backups/);
  });
});
