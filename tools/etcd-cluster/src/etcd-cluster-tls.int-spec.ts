import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { EtcdCluster } from './etcd-cluster';
import { etcdctl } from './etcdctl';

jest.setTimeout(60_000);

const cert = (file: string): X509Certificate => new X509Certificate(readFileSync(file));

describe('EtcdCluster with TLS', () => {
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3, tls: { clientCertAuth: true } });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('serves clients and peers over https with certificates from its own CA', async () => {
    const tls = cluster.tls!;
    expect(cluster.clientUrls.every((u) => u.startsWith('https://127.0.0.1:'))).toBe(true);
    expect(cluster.endpoints.every((e) => /^127\.0\.0\.1:\d+$/.test(e))).toBe(true);
    expect(cluster.initialCluster).toMatch(/^m0=https:\/\/127\.0\.0\.1:\d+,m1=https:/);
    const ca = cert(tls.caFile);
    for (const member of cluster.members) {
      const server = cert(member.spec.tls!.server.certFile);
      expect(server.subjectAltName).toBe('IP Address:127.0.0.1, DNS:localhost');
      expect(server.verify(ca.publicKey)).toBe(true);
      expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(cert(member.spec.tls!.peer!.certFile).verify(ca.publicKey)).toBe(true);
    }
    expect(await cluster.waitForLeader()).toBeDefined();
  });

  it('lets etcdctl in with a client certificate of the CA', async () => {
    const args = cluster.etcdctlTlsArgs();
    expect((await etcdctl(cluster.clientUrls, [...args, 'put', '/test/tls/k', 'v'])).code).toBe(0);
    const got = await etcdctl(cluster.clientUrls, [...args, 'get', '--print-value-only', '/test/tls/k']);
    expect(got.stdout.trim()).toBe('v');
  });

  it('refuses clients without a certificate, with one from the other CA, or with an expired one', async () => {
    const tls = cluster.tls!;
    const other = await tls.clientCert('root', { ca: 'other' });
    const expired = await tls.clientCert('root', { expired: true });
    expect(cert(other.certFile).verify(cert(tls.caFile).publicKey)).toBe(false);
    expect(cert(other.certFile).verify(cert(tls.otherCaFile).publicKey)).toBe(true);
    expect(new Date(cert(expired.certFile).validTo).getTime()).toBeLessThan(Date.now());
    expect(cert(expired.certFile).subject).toBe('CN=root');
    const one = [cluster.clientUrls[0]!];
    const timeout = ['--dial-timeout=1s', '--command-timeout=2s'];
    const none = await etcdctl(one, ['--cacert', tls.caFile, ...timeout, 'get', '/x']);
    const wrongCa = await etcdctl(one, [...cluster.etcdctlTlsArgs(other), ...timeout, 'get', '/x']);
    const old = await etcdctl(one, [...cluster.etcdctlTlsArgs(expired), ...timeout, 'get', '/x']);
    for (const result of [none, wrongCa, old]) expect(result.code).not.toBe(0);
  });

  it('removes its certificates with its data on close', async () => {
    const c = await EtcdCluster.start({ size: 1, tls: { peer: false } });
    const caFile = c.tls!.caFile;
    expect(c.initialCluster).toMatch(/^m0=http:\/\//);
    expect(existsSync(caFile)).toBe(true);
    await c.close();
    expect(existsSync(caFile)).toBe(false);
  });
});

describe('EtcdCluster with a server certificate for another name', () => {
  it('starts, and its certificate names only what was asked', async () => {
    const cluster = await EtcdCluster.start({ size: 1, tls: { serverSubjectAltNames: ['DNS:wrong.invalid'] } });
    try {
      const server = cert(cluster.member(0).spec.tls!.server.certFile);
      expect(server.subjectAltName).toBe('DNS:wrong.invalid');
      expect(server.checkIP('127.0.0.1')).toBeUndefined();
      // etcdctl checks the name: it fails, which is what clients must report.
      const r = await etcdctl(cluster.clientUrls, [...cluster.etcdctlTlsArgs(), '--dial-timeout=1s', '--command-timeout=2s', 'get', '/x']);
      expect(r.code).not.toBe(0);
    } finally {
      await cluster.close();
    }
  });
});
