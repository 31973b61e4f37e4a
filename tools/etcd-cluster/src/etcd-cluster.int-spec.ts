import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdCluster } from './etcd-cluster';
import { EtcdMember } from './etcd-member';
import { findEtcdBinary } from './find-etcd';
import { freePorts } from './free-port';
import { EtcdMemberStartError } from './member-start-error';

jest.setTimeout(60_000);

describe('EtcdCluster start-up failures', () => {
  const kept: string[] = [];
  afterAll(() => {
    for (const dir of kept) rmSync(dir, { recursive: true, force: true });
  });

  it('puts the tail of the log of a member that exits at start into the error, and keeps the log', async () => {
    const error = await EtcdCluster.start({ size: 1, extraArgs: ['--quota-backend-bytes=lots'] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EtcdMemberStartError);
    const e = error as EtcdMemberStartError;
    kept.push(join(e.logFile, '..', '..'));
    expect(e.failure).toBe('exited');
    expect(e.member).toBe('m0');
    expect(e.addressInUse).toBe(false);
    // etcd's own complaint about the flag, not just "see the log".
    expect(e.logTail).toMatch(/quota-backend-bytes/);
    expect(e.message).toMatch(/quota-backend-bytes/);
    expect(existsSync(e.logFile)).toBe(true);
    expect(readFileSync(e.logFile, 'utf8')).toMatch(/quota-backend-bytes/);
  });

  it('recognises a port taken by another process', async () => {
    const [peerPort] = await freePorts(1);
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', () => resolve()));
    const taken = (squatter.address() as { port: number }).port;
    const baseDir = mkdtempSync(join(tmpdir(), 'etcd-patterns-test-'));
    kept.push(baseDir);
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const member = new EtcdMember(
      { name: 'm0', clientUrl: `http://127.0.0.1:${taken}`, peerUrl, dataDir: join(baseDir, 'm0.etcd') },
      { etcdBin: findEtcdBinary(), initialCluster: `m0=${peerUrl}`, clusterToken: 't', logDir: baseDir, extraArgs: [] },
    );
    try {
      const error = await member.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EtcdMemberStartError);
      expect((error as EtcdMemberStartError).addressInUse).toBe(true);
    } finally {
      await member.kill();
      await member.closeLog();
      squatter.close();
    }
  });

  it('hands out distinct ports, and starts several clusters at once', async () => {
    const ports = await freePorts(30);
    expect(new Set(ports).size).toBe(30);
    const clusters = await Promise.all([EtcdCluster.start({ size: 3 }), EtcdCluster.start({ size: 3 })]);
    try {
      const endpoints = clusters.flatMap((c) => c.endpoints);
      expect(new Set(endpoints).size).toBe(6);
      for (const c of clusters) expect(await c.waitForLeader()).toBeDefined();
    } finally {
      await Promise.all(clusters.map((c) => c.close()));
    }
  });

  it('removes its data on close unless asked to keep it', async () => {
    const cluster = await EtcdCluster.start({ size: 1 });
    await cluster.close();
    expect(existsSync(cluster.baseDir)).toBe(false);
  });
});
