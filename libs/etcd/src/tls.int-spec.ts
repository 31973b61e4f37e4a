import { copyFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdCluster, etcdctl, type CertFiles } from '@etcd-patterns/etcd-cluster';
import { createEtcdClient, type CreateEtcdClientOptions } from './create-client';
import { EtcdTlsError, type EtcdPatternsError, type TlsFailureReason } from './errors';
import { toEtcdError } from './grpc-errors';

jest.setTimeout(90_000);

// A failed handshake is reported at once, not after the connect deadline: the deadline is a
// minute and the check half of it, so a slow machine (loading the system CAs alone took over
// 2 s on a loaded CI machine) never fails it, while waiting out the deadline always does.
const CONNECT_DEADLINE_MS = 60_000;
const FAST_MS = CONNECT_DEADLINE_MS / 2;

async function expectTlsFailure(options: CreateEtcdClientOptions, reason: TlsFailureReason, text: RegExp): Promise<EtcdTlsError> {
  const started = performance.now();
  const error = await createEtcdClient({ connectTimeoutMs: CONNECT_DEADLINE_MS, ...options }).then(
    (client) => {
      client.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  const elapsedMs = performance.now() - started;
  expect(error).toBeInstanceOf(EtcdTlsError);
  expect(error).toMatchObject({ code: 'ETCD_TLS_FAILED', retryable: false, reason });
  // The message is for people; the test checks that it names the cause, not its exact words.
  expect((error as Error).message).toMatch(text);
  expect(elapsedMs).toBeLessThan(FAST_MS);
  return error as EtcdTlsError;
}

describe('createEtcdClient over TLS with client certificates', () => {
  let cluster: EtcdCluster;
  let caFile: string;
  let root: CertFiles;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 3, tls: { clientCertAuth: true } });
    caFile = cluster.tls!.caFile;
    root = cluster.tls!.rootCert;
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('connects with the CA and a client certificate, also from ETCD_CA_FILE/ETCD_CERT_FILE/ETCD_KEY_FILE', async () => {
    const client = await createEtcdClient({ endpoints: cluster.endpoints, caFile, certFile: root.certFile, keyFile: root.keyFile });
    try {
      await client.put('/test/tls/ok').value('v').exec();
      expect(await client.get('/test/tls/ok').string()).toBe('v');
    } finally {
      client.close();
    }
    const saved = { ...process.env };
    Object.assign(process.env, { ETCD_ENDPOINTS: cluster.endpoints.join(','), ETCD_CA_FILE: caFile, ETCD_CERT_FILE: root.certFile, ETCD_KEY_FILE: root.keyFile });
    try {
      const fromEnv = await createEtcdClient();
      expect(await fromEnv.get('/test/tls/ok').string()).toBe('v');
      fromEnv.close();
    } finally {
      for (const k of ['ETCD_ENDPOINTS', 'ETCD_CA_FILE', 'ETCD_CERT_FILE', 'ETCD_KEY_FILE']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('reports a server certificate the CA did not sign (wrong ETCD_CA_FILE)', async () => {
    const e = await expectTlsFailure(
      { endpoints: cluster.endpoints, caFile: cluster.tls!.otherCaFile, certFile: root.certFile, keyFile: root.keyFile },
      'server-untrusted',
      /server certificate not trusted by the CA/,
    );
    expect(e.message).toContain(cluster.tls!.otherCaFile);
  });

  it('reports a client certificate the cluster does not trust, and a missing one', async () => {
    const other = await cluster.tls!.clientCert('root', { ca: 'other' });
    await expectTlsFailure({ endpoints: cluster.endpoints, caFile, ...other }, 'client-rejected', /client certificate rejected/);
    const e = await expectTlsFailure({ endpoints: cluster.endpoints, caFile }, 'client-rejected', /client certificate rejected/);
    expect(e.message).toMatch(/ETCD_CERT_FILE/);
  });

  it('reports an expired client certificate before dialling', async () => {
    const expired = await cluster.tls!.clientCert('root', { expired: true });
    const e = await expectTlsFailure({ endpoints: cluster.endpoints, caFile, ...expired }, 'certificate-expired', /certificate expired/);
    expect(e.message).toContain(expired.certFile);
  });

  it('uses the system CAs (and NODE_EXTRA_CA_CERTS) for a client certificate without a CA file', async () => {
    // Not silently plaintext, and not our test CA: the server is not trusted.
    await expectTlsFailure({ endpoints: cluster.endpoints, ...root }, 'server-untrusted', /not trusted/);
    const saved = process.env['NODE_EXTRA_CA_CERTS'];
    process.env['NODE_EXTRA_CA_CERTS'] = caFile;
    try {
      const client = await createEtcdClient({ endpoints: cluster.endpoints, ...root });
      expect(await client.get('/test/tls/ok').string()).toBe('v');
      client.close();
    } finally {
      if (saved === undefined) delete process.env['NODE_EXTRA_CA_CERTS'];
      else process.env['NODE_EXTRA_CA_CERTS'] = saved;
    }
  });

  it('refuses a certificate with a key that is not its own as a configuration error', async () => {
    const other = await cluster.tls!.clientCert('someone');
    await expect(createEtcdClient({ endpoints: cluster.endpoints, caFile, certFile: root.certFile, keyFile: other.keyFile })).rejects.toMatchObject({
      code: 'ETCD_INVALID_CONFIG',
    });
    await expect(createEtcdClient({ endpoints: cluster.endpoints, caFile: join(cluster.baseDir, 'missing.pem') })).rejects.toMatchObject({
      code: 'ETCD_INVALID_CONFIG',
    });
  });
});

describe('createEtcdClient against a server certificate for another name', () => {
  it('reports a server name mismatch at once', async () => {
    const cluster = await EtcdCluster.start({ size: 1, tls: { serverSubjectAltNames: ['DNS:wrong.invalid'] } });
    try {
      await expectTlsFailure({ endpoints: cluster.endpoints, caFile: cluster.tls!.caFile }, 'name-mismatch', /server name mismatch/);
    } finally {
      await cluster.close();
    }
  });
});

describe('client certificate rotation', () => {
  const RELOAD_MS = 100;
  let cluster: EtcdCluster;
  beforeAll(async () => {
    cluster = await EtcdCluster.start({ size: 1, tls: { clientCertAuth: true } });
    // With auth enabled and --client-cert-auth, etcd takes the user from the certificate's CN.
    const eps = cluster.clientUrls;
    const tlsArgs = cluster.etcdctlTlsArgs();
    for (const args of [
      ['user', 'add', 'root:rootpw'],
      ['role', 'add', 'a-writer'],
      ['role', 'grant-permission', 'a-writer', '--prefix=true', 'readwrite', '/test/rotate/a/'],
      ['user', 'add', 'alice:unused-pw'],
      ['user', 'grant-role', 'alice', 'a-writer'],
      ['role', 'add', 'b-writer'],
      ['role', 'grant-permission', 'b-writer', '--prefix=true', 'readwrite', '/test/rotate/b/'],
      ['user', 'add', 'bob:unused-pw'],
      ['user', 'grant-role', 'bob', 'b-writer'],
      ['auth', 'enable'],
    ]) {
      const r = await etcdctl(eps, [...tlsArgs, ...args]);
      if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${r.stderr}`);
    }
  });
  afterAll(async () => {
    await cluster?.close();
  });

  /** Replaces a file the way secret managers do: write beside it, then rename over it. */
  function replace(target: string, source: string): void {
    copyFileSync(source, `${target}.new`);
    renameSync(`${target}.new`, target);
  }

  /** Retries while the member restarts (retryable errors); resolves to the result or the etcd error. */
  async function settle<T>(op: () => Promise<T>): Promise<T | EtcdPatternsError> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        return await op();
      } catch (raw) {
        const error = toEtcdError(raw);
        if (!error.retryable || Date.now() > deadline) return error;
        await sleep(100);
      }
    }
  }

  // The reload timer's period is the contract under test ("picked up within one interval"), so
  // this one wait is for time: a few intervals, then a reconnect.
  const reloaded = (): Promise<void> => sleep(RELOAD_MS * 5);

  it('uses a certificate replaced on disk from the next reconnect on, without a restart', async () => {
    const tls = cluster.tls!;
    const alice = await tls.clientCert('alice');
    const bob = await tls.clientCert('bob');
    const live = { certFile: join(cluster.baseDir, 'live-client.pem'), keyFile: join(cluster.baseDir, 'live-client-key.pem') };
    replace(live.certFile, alice.certFile);
    replace(live.keyFile, alice.keyFile);
    const client = await createEtcdClient({ endpoints: cluster.endpoints, caFile: tls.caFile, ...live, tlsReloadIntervalMs: RELOAD_MS });
    const put = (key: string): Promise<unknown> => settle(() => client.put(`/test/rotate/${key}`).value('x').exec());
    const member = cluster.member(0);
    try {
      // The server sees alice: a/ is hers, b/ is bob's.
      expect(await put('a/1')).not.toBeInstanceOf(Error);
      expect(await put('b/1')).toMatchObject({ code: 'ETCD_PERMISSION_DENIED' });

      // Half a rotation (bob's certificate, alice's key) is not taken: after a reconnect the
      // client still connects, as alice.
      replace(live.certFile, bob.certFile);
      await reloaded();
      await member.restart();
      expect(await put('a/2')).not.toBeInstanceOf(Error);

      // The rest of the rotation. The open connection keeps alice until it is replaced...
      replace(live.keyFile, bob.keyFile);
      await reloaded();
      expect(await put('a/3')).not.toBeInstanceOf(Error);
      // ...and the reconnect after a member restart presents bob.
      await member.restart();
      expect(await put('b/2')).not.toBeInstanceOf(Error);
      expect(await put('a/4')).toMatchObject({ code: 'ETCD_PERMISSION_DENIED' });
    } finally {
      client.close();
    }
  });
});
