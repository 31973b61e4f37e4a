// The demo's etcd cluster in a process of its own (its own process group, so a Ctrl-C in the
// terminal reaches only the launcher, which stops the apps first): started by `DemoEtcd.start`,
// controlled over the IPC channel, stopped by SIGTERM or when the launcher goes away. With
// DEMO_ETCD_TLS=1 (`npm run demo -- --secure`): TLS for clients and peers and --client-cert-auth,
// certificates made now with openssl in the cluster's temp dir (printed as `pki=DIR`).
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { handleEtcdControl, type EtcdControlRequest } from './demo-etcd';

async function main(): Promise<void> {
  const size = Number(process.env['ETCD_CLUSTER_SIZE'] ?? 3) as 1 | 3 | 5;
  const secure = process.env['DEMO_ETCD_TLS'] === '1';
  const cluster = await EtcdCluster.start({ size, ...(secure ? { tls: { clientCertAuth: true, peer: true } } : {}) });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void cluster.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('disconnect', stop); // the launcher died
  process.on('message', (request: EtcdControlRequest) => {
    void handleEtcdControl(cluster, request).then((response) => process.send?.(response));
  });
  if (cluster.tls) process.stdout.write(`pki=${cluster.tls.pki.dir}\n`);
  process.stdout.write(`etcd cluster of ${size} is up (data in ${cluster.baseDir})\n  export ETCD_ENDPOINTS=${cluster.endpoints.join(',')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
