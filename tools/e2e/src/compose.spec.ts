// docker-compose.yml cannot run here (no Docker): check its structure statically. Each app's
// own spec (apps/*/src/compose.spec.ts) checks its environment against its env schema.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@etcd-patterns/demo';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const flag = (s: Service, name: string): string | undefined =>
  s.command?.find((c) => c.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('docker-compose.yml', () => {
  it('has the etcd cluster, etcdkeeper, Jaeger, Prometheus and the apps', () => {
    const known = ['backup', 'etcd-1', 'etcd-2', 'etcd-3', 'etcdkeeper', 'gateway', 'greeter', 'jaeger', 'prometheus', 'worker'];
    expect(Object.keys(services)).toEqual(expect.arrayContaining(known));
    // Any other service is an app of this repository built from its own Dockerfile, such as one
    // made by `nx g @etcd-patterns/nx-plugin:service` (its apps/<name>/src/compose.spec.ts checks the rest).
    for (const name of Object.keys(services).filter((n) => !known.includes(n))) {
      expect({ name, dockerfile: services[name]!.build?.dockerfile }).toEqual({ name, dockerfile: `apps/${name}/Dockerfile` });
      expect(existsSync(join(REPO_ROOT, 'apps', name, 'Dockerfile'))).toBe(true);
    }
  });

  it('runs etcd as a real 3-member cluster from the official image', () => {
    const members = ['etcd-1', 'etcd-2', 'etcd-3'];
    const clusters = new Set(members.map((m) => flag(services[m]!, 'initial-cluster')));
    expect(clusters.size).toBe(1);
    const initial = [...clusters][0]!;
    for (const m of members) {
      const s = services[m]!;
      expect(s.image).toMatch(/^(gcr\.io\/etcd-development\/etcd|quay\.io\/coreos\/etcd):v3\.\d+\.\d+$/);
      expect(flag(s, 'name')).toBe(m);
      expect(initial).toContain(`${m}=${flag(s, 'initial-advertise-peer-urls')}`);
      expect(flag(s, 'advertise-client-urls')).toBe(`http://${m}:2379`);
      expect(flag(s, 'initial-cluster-state')).toBe('new');
      expect(s.healthcheck?.test?.join(' ')).toContain('endpoint health');
    }
  });

  it('publishes the expected ports, without clashes', () => {
    // `host:container`, or `address:host:container` (published on one address only).
    const hostPort = (p: string): string => (p.split(':').length === 3 ? p.split(':')[1]! : p.split(':')[0]!);
    const hostPorts = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => [name, hostPort(p)] as const));
    expect(Object.fromEntries(hostPorts.map(([name, port]) => [`${name}:${port}`, true]))).toEqual({
      'etcd-1:2379': true,
      'etcd-2:22379': true,
      'etcd-3:32379': true,
      'etcdkeeper:8088': true,
      'jaeger:16686': true,
      'jaeger:4318': true,
      'prometheus:9090': true,
      'gateway:8080': true,
      'console:8089': true,
    });
    // The console talks to an etcd without auth: it is published on the host's loopback only.
    expect(services['console']!.ports).toEqual(['127.0.0.1:8089:8088']);
    expect(new Set(hostPorts.map(([, port]) => port)).size).toBe(hostPorts.length);
    // Replicated services publish no host port (replicas would clash).
    expect(services['greeter']!.ports).toBeUndefined();
    expect(services['worker']!.ports).toBeUndefined();
  });

  it('runs replicas of the greeter and the worker, all apps with health checks and start order', () => {
    expect(services['greeter']!.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(services['worker']!.deploy?.replicas).toBeGreaterThanOrEqual(2);
    for (const app of ['greeter', 'worker', 'gateway']) {
      const s = services[app]!;
      expect(s.healthcheck?.test?.length).toBeGreaterThan(0);
      expect(existsSync(join(REPO_ROOT, s.build!.context!, s.build!.dockerfile!))).toBe(true);
      for (const m of ['etcd-1', 'etcd-2', 'etcd-3']) expect(s.depends_on?.[m]?.condition).toBe('service_healthy');
      expect(s.environment?.['ETCD_ENDPOINTS']).toBe('etcd-1:2379,etcd-2:2379,etcd-3:2379');
      expect(s.environment?.['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe('http://jaeger:4318');
    }
    expect(services['gateway']!.depends_on?.['greeter']?.condition).toBe('service_healthy');
    expect(services['gateway']!.depends_on?.['worker']?.condition).toBe('service_healthy');
    expect(services['worker']!.depends_on?.['greeter']?.condition).toBe('service_healthy');
  });
});
