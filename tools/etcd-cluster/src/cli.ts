// `npm run etcd:up`: a 3-member cluster for development, printed endpoints, Ctrl-C to stop.
import { EtcdCluster } from './etcd-cluster';

async function main(): Promise<void> {
  const size = Number(process.env['ETCD_CLUSTER_SIZE'] ?? 3) as 1 | 3 | 5;
  const cluster = await EtcdCluster.start({ size });
  const endpoints = cluster.endpoints.join(',');
  process.stdout.write(
    `etcd cluster of ${size} is up (data in ${cluster.baseDir})\n` +
      `  export ETCD_ENDPOINTS=${endpoints}\n` +
      `  etcdctl --endpoints=${endpoints} endpoint status -w table\n` +
      `Ctrl-C stops it.\n`,
  );
  const stop = (): void => {
    void cluster.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
