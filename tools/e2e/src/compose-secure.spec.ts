// docker-compose.secure.yml (the secure override of docker-compose.yml) cannot run here (no
// Docker): check its structure statically, merged over the base file as Compose merges it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@etcd-patterns/demo';
import { parse } from 'yaml';

interface VolumeMount {
  type?: string;
  source?: string;
  target?: string;
  read_only?: boolean;
  volume?: { subpath?: string };
}
interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: Array<VolumeMount | string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[] };
  profiles?: string[];
}
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const read = (file: string): Compose => parse(readFileSync(join(REPO_ROOT, file), 'utf8'), { merge: true }) as Compose;
const base = read('docker-compose.yml');
const secure = read('docker-compose.secure.yml');
const access = parse(readFileSync(join(REPO_ROOT, 'deploy', 'access.yaml'), 'utf8')) as { users: Record<string, { passwordFile?: string }> };

/** Compose's merge of an override: maps merge key by key, `command`/`entrypoint`/`healthcheck.test` are replaced, volumes by target. */
function merged(name: string): Service {
  const b = base.services[name] ?? {};
  const o = secure.services[name] ?? {};
  const byTarget = new Map<string, VolumeMount | string>();
  for (const v of [...(b.volumes ?? []), ...(o.volumes ?? [])]) byTarget.set(typeof v === 'string' ? v.split(':')[1]! : v.target!, v);
  return {
    ...b,
    ...o,
    environment: { ...b.environment, ...o.environment },
    depends_on: { ...b.depends_on, ...o.depends_on },
    healthcheck: { ...b.healthcheck, ...o.healthcheck },
    volumes: [...byTarget.values()],
  };
}
const flags = (s: Service): Map<string, string> =>
  new Map((s.command ?? []).filter((c) => c.startsWith('--')).map((c) => [c.split('=')[0]!.slice(2), c.includes('=') ? c.slice(c.indexOf('=') + 1) : 'true']));
/** The volume mounts of the "secure" volume: target to subpath. */
const secureMounts = (s: Service): Map<string, string | undefined> =>
  new Map(
    (s.volumes ?? []).flatMap((v) => (typeof v !== 'string' && v.type === 'volume' && v.source === 'secure' ? [[v.target!, v.volume?.subpath] as const] : [])),
  );

const APPS = { greeter: 'greeter', worker: 'worker', gateway: 'gateway', backup: 'backup' } as const;
const MEMBERS = ['etcd-1', 'etcd-2', 'etcd-3'];
const ONE_SHOTS = ['secure-init', 'access-apply'];
const HTTPS_ENDPOINTS = 'https://etcd-1:2379,https://etcd-2:2379,https://etcd-3:2379';

describe('docker-compose.secure.yml (override of docker-compose.yml)', () => {
  it('overrides only services of the base file, and adds the two one-shots', () => {
    const added = Object.keys(secure.services).filter((n) => !(n in base.services));
    expect(added.sort()).toEqual([...ONE_SHOTS].sort());
    expect(secure.volumes).toHaveProperty('secure');
    // Every app of the base file that talks to etcd is made secure (nothing left on plaintext), but etcdkeeper, which cannot.
    const etcdClients = Object.entries(base.services).filter(([, s]) => s.environment?.['ETCD_ENDPOINTS']).map(([n]) => n);
    for (const name of etcdClients) expect({ name, overridden: name in secure.services }).toEqual({ name, overridden: true });
    expect(secure.services['etcdkeeper']?.profiles).toEqual(['plaintext-tools']);
    for (const [name, s] of Object.entries(secure.services)) {
      for (const dep of Object.keys(s.depends_on ?? {})) expect({ name, dep, exists: dep in base.services || dep in secure.services }).toEqual({ name, dep, exists: true });
    }
  });

  it('makes the certificates and passwords at run time with openssl, and commits none', () => {
    const init = merged('secure-init');
    expect(init.entrypoint?.join(' ')).toMatch(/openssl/);
    expect(init.volumes).toContainEqual('./deploy/secure/make-secrets.sh:/scripts/make-secrets.sh:ro');
    const script = readFileSync(join(REPO_ROOT, 'deploy', 'secure', 'make-secrets.sh'), 'utf8');
    expect(script).toMatch(/openssl req -x509/);
    for (const user of Object.keys(access.users)) expect(script).toMatch(new RegExp(`USERS="[^"]*\\b${user}\\b`));
    // Never a password printed by the one-shot.
    expect(script).not.toMatch(/(echo|printf|cat)[^\n]*password"?\s*$/m);
    for (const dir of ['deploy', 'deploy/secure']) {
      expect(readdirSync(join(REPO_ROOT, dir)).filter((f) => /\.(pem|key|crt)$/.test(f))).toEqual([]);
    }
  });

  it('runs etcd with TLS for clients and peers and client-certificate auth, after secure-init', () => {
    for (const m of MEMBERS) {
      const s = merged(m);
      const f = flags(s);
      expect({ m, clientCertAuth: f.get('client-cert-auth'), peerClientCertAuth: f.get('peer-client-cert-auth') }).toEqual({ m, clientCertAuth: 'true', peerClientCertAuth: 'true' });
      for (const name of ['cert-file', 'key-file', 'trusted-ca-file', 'peer-cert-file', 'peer-key-file', 'peer-trusted-ca-file']) {
        expect(f.get(name)).toMatch(/^\/run\/secrets\/etcd\//);
      }
      expect(f.get('listen-client-urls')).toMatch(/^https:\/\//);
      expect(f.get('advertise-client-urls')).toBe(`https://${m}:2379`);
      expect(f.get('initial-advertise-peer-urls')).toBe(`https://${m}:2380`);
      expect(f.get('initial-cluster')).toBe('etcd-1=https://etcd-1:2380,etcd-2=https://etcd-2:2380,etcd-3=https://etcd-3:2380');
      expect(secureMounts(s)).toEqual(new Map([['/run/secrets/etcd', m]]));
      expect(s.healthcheck?.test?.join(' ')).toMatch(/--endpoints=https:\/\/127\.0\.0\.1:2379 .*--cacert=.*--cert=.*--key=.* endpoint health/);
      expect(s.depends_on?.['secure-init']?.condition).toBe('service_completed_successfully');
    }
  });

  it('applies deploy/access.yaml as root with epctl once etcd is healthy', () => {
    const s = merged('access-apply');
    expect([...(s.entrypoint ?? []), ...(s.command ?? [])].join(' ')).toMatch(/apps\/epctl\/src\/main\.ts --endpoints https:\/\/etcd-1:2379,\S+ access apply deploy\/access\.yaml --yes/);
    expect(s.environment).toMatchObject({ ETCD_USERNAME: 'root', ETCD_PASSWORD_FILE: '/run/secrets/etcd-root-password' });
    // access.yaml's password files are the ones this one-shot mounts.
    expect(secureMounts(s)).toEqual(new Map([['/run/secrets', 'access']]));
    for (const [user, spec] of Object.entries(access.users)) expect({ user, file: spec.passwordFile }).toEqual({ user, file: `/run/secrets/etcd-${user}-password` });
    expect(s.volumes).toContainEqual('./deploy/access.yaml:/app/deploy/access.yaml:ro');
    for (const m of MEMBERS) expect(s.depends_on?.[m]?.condition).toBe('service_healthy');
    expect(existsSync(join(REPO_ROOT, s.build!.context!, s.build!.dockerfile!))).toBe(true);
  });

  it('gives every app its own etcd user, password file, certificate and TLS endpoints', () => {
    const subpaths = new Set<string>();
    for (const [app, user] of Object.entries(APPS)) {
      const s = merged(app);
      const env = s.environment!;
      expect({ app, user: env['ETCD_USERNAME'], endpoints: env['ETCD_ENDPOINTS'] }).toEqual({ app, user, endpoints: HTTPS_ENDPOINTS });
      expect(Object.keys(access.users)).toContain(user);
      const mounts = secureMounts(s);
      expect({ app, mounts: [...mounts] }).toEqual({ app, mounts: [['/run/secrets/etcd', app]] });
      subpaths.add(mounts.get('/run/secrets/etcd')!);
      for (const name of ['ETCD_PASSWORD_FILE', 'ETCD_CA_FILE', 'ETCD_CERT_FILE', 'ETCD_KEY_FILE']) {
        expect({ app, name, value: env[name] }).toEqual({ app, name, value: expect.stringMatching(/^\/run\/secrets\/etcd\/[a-z.-]+$/) });
      }
      expect(s.depends_on?.['access-apply']?.condition).toBe('service_completed_successfully');
    }
    expect(subpaths.size).toBe(Object.keys(APPS).length); // no two apps share a directory of secrets
    expect(merged('greeter').environment).toMatchObject({ GRPC_TLS_CERT_FILE: '/run/secrets/etcd/grpc.pem', GRPC_TLS_KEY_FILE: '/run/secrets/etcd/grpc-key.pem' });
    expect(merged('worker').environment).toMatchObject({ GRPC_TLS_CERT_FILE: '/run/secrets/etcd/grpc.pem', GRPC_TLS_CA_FILE: '/run/secrets/etcd/ca.pem' });
    expect(merged('gateway').environment).toMatchObject({ GRPC_TLS_CA_FILE: '/run/secrets/etcd/ca.pem' });
  });

  it('keeps secrets in files, never in variables or commands', () => {
    for (const [name, s] of Object.entries(secure.services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        expect({ name, key, literalSecret: /PASSWORD$|TOKEN$|SECRET$|_KEY$/.test(key) }).toEqual({ name, key, literalSecret: false });
        expect(String(value)).not.toMatch(/BEGIN [A-Z ]*PRIVATE KEY/);
        if (key.endsWith('_FILE')) expect({ name, key, value }).toEqual({ name, key, value: expect.stringMatching(/^\/run\/secrets\//) });
      }
      expect([...(s.command ?? []), ...(s.entrypoint ?? [])].join(' ')).not.toMatch(/--password\b|--user[= ]\S+:/);
      for (const v of s.volumes ?? []) if (typeof v !== 'string' && v.source === 'secure' && !ONE_SHOTS.includes(name)) expect({ name, readOnly: v.read_only }).toEqual({ name, readOnly: true });
    }
  });

  it('gives the console TLS files but no etcd user: its visitors sign in', () => {
    const env = merged('console').environment!;
    expect(env).toMatchObject({ ETCD_ENDPOINTS: HTTPS_ENDPOINTS, ETCD_CA_FILE: '/run/secrets/etcd/ca.pem', ETCD_CERT_FILE: '/run/secrets/etcd/client.pem', CONSOLE_ALLOW_REMOTE_WITHOUT_AUTH: '0' });
    expect(Object.keys(env).filter((k) => /^ETCD_(USERNAME|PASSWORD)/.test(k))).toEqual([]);
    expect(secureMounts(merged('console'))).toEqual(new Map([['/run/secrets/etcd', 'console']]));
  });
});
