// The demo's etcd cluster in a process of its own (its own process group, so a Ctrl-C in the
// terminal reaches only the launcher, which stops the apps first): started by `DemoEtcd.start`,
// controlled over the IPC channel, stopped by SIGTERM or when the launcher goes away.
import { EtcdCluster } from '@etcd-patterns/etcd-cluster';
import { handleEtcdControl, type EtcdControlRequest } from './demo-etcd';

async function main(): Promise<void> {
  const size = Number(process.env['ETCD_CLUSTER_SIZE'] ?? 3) as 1 | 3 | 5;
  const cluster = await EtcdCluster.start({ size });
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
  process.stdout.write(`etcd cluster of ${size} is up (data in ${cluster.baseDir})\n  export ETCD_ENDPOINTS=${cluster.endpoints.join(',')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
