// docker-compose.yml cannot run here (no Docker): check statically that Prometheus's config
// (deploy/prometheus.yml) scrapes every app and every etcd member, and that each target is a
// service and port that docker-compose.yml defines.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@etcd-patterns/demo';
import { parse } from 'yaml';

interface Service {
  image?: string;
  command?: string[];
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
}

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs?: Array<{ targets: string[] }>;
  dns_sd_configs?: Array<{ names: string[]; type?: string; port?: number }>;
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const prometheus = services['prometheus']!;
const mount = (prometheus.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === '/etc/prometheus/prometheus.yml');
const configPath = join(REPO_ROOT, mount?.[0] ?? 'deploy/prometheus.yml');
const config = parse(readFileSync(configPath, 'utf8')) as { scrape_configs: ScrapeConfig[] };

/** Ports a service listens on inside compose's network. */
function listeningPorts(service: Service): Set<number> {
  const ports = new Set<number>();
  for (const p of service.expose ?? []) ports.add(Number(p));
  for (const p of service.ports ?? []) ports.add(Number(p.split(':').pop()));
  const clientUrls = service.command?.find((c) => c.startsWith('--listen-client-urls='))?.split('=')[1] ?? '';
  for (const url of clientUrls.split(',').filter(Boolean)) ports.add(Number(new URL(url).port));
  return ports;
}

/** Every target as [service, port, job]: static `host:port` entries and DNS names with their port. */
const targets: Array<[string, number, string]> = config.scrape_configs.flatMap((job) => [
  ...(job.static_configs ?? []).flatMap((c) => c.targets.map((t): [string, number, string] => [t.slice(0, t.lastIndexOf(':')), Number(t.slice(t.lastIndexOf(':') + 1)), job.job_name])),
  ...(job.dns_sd_configs ?? []).flatMap((c) => c.names.map((n): [string, number, string] => [n, c.port ?? NaN, job.job_name])),
]);

describe('deploy/prometheus.yml against docker-compose.yml', () => {
  it('is mounted into the prometheus service, which loads it', () => {
    expect(mount).toBeDefined();
    expect(existsSync(configPath)).toBe(true);
    expect(prometheus.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
  });

  it('names only services and ports compose defines', () => {
    expect(targets.length).toBeGreaterThan(0);
    for (const [name, port, job] of targets) {
      expect({ job, name, defined: name in services }).toEqual({ job, name, defined: true });
      expect({ job, name, port, listening: listeningPorts(services[name]!).has(port) }).toEqual({ job, name, port, listening: true });
      expect(config.scrape_configs.find((c) => c.job_name === job)!.metrics_path ?? '/metrics').toBe('/metrics');
    }
  });

  it("scrapes every app on the port it serves /metrics on, and every etcd member's client URL", () => {
    // Every service that serves metrics (sets METRICS_PORT), the three reference apps at least.
    const apps = Object.keys(services).filter((name) => services[name]!.environment?.['METRICS_PORT'] !== undefined);
    expect(apps).toEqual(expect.arrayContaining(['gateway', 'greeter', 'worker']));
    for (const app of apps) {
      const environment = services[app]!.environment ?? {};
      expect(targets.filter(([name]) => name === app).map(([, port]) => port)).toEqual([Number(environment['METRICS_PORT'])]);
      expect(environment['METRICS_HOST']).toBe('0.0.0.0');
      expect(services[app]!.expose).toContain(environment['METRICS_PORT']);
    }
    for (const member of ['etcd-1', 'etcd-2', 'etcd-3']) {
      expect(targets.filter(([name]) => name === member).map(([, port]) => port)).toEqual([2379]);
    }
    // Replicated services are found through DNS (one A record per replica), not one static name.
    for (const app of apps.filter((name) => (services[name]!.deploy?.replicas ?? 1) > 1)) {
      const job = config.scrape_configs.find((c) => c.dns_sd_configs?.some((d) => d.names.includes(app)));
      expect({ app, discovery: job?.dns_sd_configs?.[0]?.type }).toEqual({ app, discovery: 'A' });
    }
  });
});
