// `npm run demo` (tools/scripts/demo.sh): the whole system on this machine, as processes.
//
//   - a 3-member etcd cluster from local binaries (the etcd-cluster harness), or the cluster in
//     ETCD_ENDPOINTS when set;
//   - the default greeter config published to dev/greeter (unless one is published already);
//   - 3 greeters (zones a, b, c), 2 workers and the gateway on DEMO_GATEWAY_PORT (default 8080);
//   - 2 backup replicas (apps/backup): the elected one snapshots etcd every 30 s into tmp/demo-backups;
//   - URLs and example requests printed; Ctrl-C stops everything in order (gateway, workers,
//     greeters: each deregisters and drains; then etcd).
//
// Telemetry: without OTEL_EXPORTER_OTLP_ENDPOINT, a built-in trace viewer on 127.0.0.1:DEMO_TRACES_PORT
// (default 16686) receives every app's spans and shows them at /traces (see demo-traces.ts). Set
// OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://localhost:4318 of a local Jaeger) to export there instead.
// Each app serves Prometheus metrics at /metrics on consecutive ports from DEMO_METRICS_PORT
// (default 9464; see demo-metrics.ts), printed with the other URLs.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { listVersions, publish } from '@etcd-patterns/config';
import { createEtcdClient } from '@etcd-patterns/etcd';
import { AppProcess, REPO_ROOT, type AppName } from './app-process';
import { DEFAULT_GREETER_CONFIG } from './default-config';
import { demoNetworkEnv } from './demo-env';
import { demoMetricsPorts } from './demo-metrics';
import { startDemoTraces, type DemoTraces } from './demo-traces';
import { formatLogLine } from './log-line';

const NAMESPACE = 'dev/greeter';
const COLORS = ['36', '32', '33', '35', '34', '96', '92'];

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** One compact line per JSON log line: `[g1] info greeter ready address=...`. */
function printer(instance: string, color: string): (line: string) => void {
  const tag = process.stdout.isTTY ? `\u001b[${color}m[${instance}]\u001b[0m` : `[${instance}]`;
  return (line) => {
    const text = formatLogLine(line);
    if (text !== undefined) say(`${tag} ${text}`);
  };
}

/** Starts the etcd harness CLI in its own process group and resolves with its endpoints. */
async function startEtcd(): Promise<{ endpoints: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('tools', 'etcd-cluster', 'src', 'cli.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, ETCD_CLUSTER_SIZE: '3' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const lines = createInterface({ input: child.stdout! });
  const endpoints = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the etcd cluster did not start (exit code ${code})`)));
    lines.on('line', (line) => {
      const match = /export ETCD_ENDPOINTS=(\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
  });
  return { endpoints, child };
}

async function main(): Promise<void> {
  const external = process.env['ETCD_ENDPOINTS'];
  const gatewayPort = process.env['DEMO_GATEWAY_PORT'] ?? '8080';
  let etcd: { endpoints: string; child: ChildProcess } | undefined;
  let traces: DemoTraces | undefined;
  const apps: AppProcess[] = [];
  let stopping = false;

  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('\nstopping: backups (the leader resigns), gateway, workers, greeters (each deregisters and drains), then etcd ...');
    const order: AppName[] = ['backup', 'gateway', 'worker', 'greeter'];
    for (const app of order) await Promise.all(apps.filter((a) => a.app === app).map((a) => a.stop()));
    await traces?.receiver?.close(); // after the apps: their last spans are flushed on shutdown
    if (etcd && etcd.child.exitCode === null) {
      etcd.child.kill('SIGTERM');
      await once(etcd.child, 'exit');
    }
    say('stopped.');
  };
  process.on('SIGINT', () => {
    if (stopping) {
      say('second Ctrl-C: killing everything');
      for (const a of apps) void a.kill();
      etcd?.child.kill('SIGKILL');
      process.exit(130);
    }
    void stopAll().then(() => process.exit(0));
  });
  process.on('SIGTERM', () => void stopAll().then(() => process.exit(0)));

  try {
    if (external) {
      say(`using the etcd cluster in ETCD_ENDPOINTS=${external}`);
    } else {
      say('starting a 3-member etcd cluster from local binaries ...');
      etcd = await startEtcd();
    }
    const endpoints = external ?? etcd!.endpoints;
    const client = await createEtcdClient({ endpoints: endpoints.split(',') });
    try {
      if ((await listVersions({ client, namespace: NAMESPACE, limit: 1 })).length === 0) {
        const result = await publish({ client, namespace: NAMESPACE, document: DEFAULT_GREETER_CONFIG, author: 'demo', message: 'default greeting' });
        say(`published the default greeting to ${NAMESPACE} (version ${result.version})`);
      } else {
        say(`${NAMESPACE} already has a published config: keeping it`);
      }
    } finally {
      client.close();
    }

    traces = await startDemoTraces();
    say(traces.description);
    // Loopback unless DEMO_HOST says otherwise: the demo is not exposed to the network.
    const host = process.env['DEMO_HOST'] || undefined;
    const base = { ...demoNetworkEnv(host), ETCD_ENDPOINTS: endpoints, CONFIG_NAMESPACE: NAMESPACE, ...traces.env, METRICS_HOST: host ?? '127.0.0.1' };
    // One metrics port per app, in this order: greeters, workers, the gateway.
    const metricsPorts = await demoMetricsPorts(6, { host });
    const specs: Array<{ app: AppName; instance: string; env: Record<string, string> }> = [
      ...['a', 'b', 'c'].map((zone, i) => ({ app: 'greeter' as const, instance: `greeter-${i + 1}`, env: { ...base, GREETER_ZONE: `zone-${zone}`, METRICS_PORT: metricsPorts[i]! } })),
      ...[1, 2].map((i) => ({ app: 'worker' as const, instance: `worker-${i}`, env: { ...base, WORKER_ITEM_DELAY_MS: '500', METRICS_PORT: metricsPorts[2 + i]! } })),
    ];
    say('starting 3 greeters and 2 workers ...');
    let color = 0;
    const startApp = async (spec: { app: AppName; instance: string; env: Record<string, string> }): Promise<AppProcess> => {
      const app = await AppProcess.start({
        app: spec.app,
        env: { ...spec.env, INSTANCE_NAME: spec.instance },
        onLine: printer(spec.instance, COLORS[color++ % COLORS.length]!),
        ownProcessGroup: true,
      });
      apps.push(app);
      return app;
    };
    await Promise.all(specs.map(startApp));
    const gateway = await startApp({ app: 'gateway', instance: 'gateway', env: { ...base, GATEWAY_PORT: gatewayPort, METRICS_PORT: metricsPorts[5]! } });
    const url = String((await gateway.waitForLog((e) => e['msg'] === 'gateway ready'))['url']);
    // Two backup replicas: the elected one takes a verified snapshot every 30 s into tmp/demo-backups.
    const backupDir = join(REPO_ROOT, 'tmp', 'demo-backups');
    const backupEnv = { ...base, BACKUP_DIR: backupDir, BACKUP_NAME: 'demo', BACKUP_INTERVAL_MS: '30000', BACKUP_KEEP: '5', HTTP_HOST: host ?? '127.0.0.1', HTTP_PORT: '0', METRICS_PORT: '0' };
    const backups = await Promise.all([1, 2].map((i) => startApp({ app: 'backup', instance: `backup-${i}`, env: backupEnv })));
    const backupHealth = await Promise.all(backups.map(async (b) => String((await b.waitForLog((e) => e['msg'] === 'backup ready'))['health'])));
    const metricsLines = await Promise.all(
      [...apps].sort((a, b) => a.instance.localeCompare(b.instance)).map(async (a) => {
        const served = (await a.waitForLog((e) => e['msg'] === `${a.app} ready`))['metrics'];
        return `    ${a.instance.padEnd(10)}${typeof served === 'string' ? served : 'not served (METRICS_PORT=off, or see its log)'}`;
      }),
    );
    const epctl = 'npx epctl';
    say(`
The demo is running. etcd: ${endpoints}
  gateway   ${url}
  backups   ${backupHealth.join('  ')}   (GET /health: leader, last backup; files in ${backupDir})
  ${traces.description}
  metrics (Prometheus text format; every metric is listed in libs/telemetry/README.md):
${metricsLines.join('\n')}

Try:
  curl -i '${url}/hello?name=Ada'          (x-trace-id: the trace of this request)
  curl -X POST ${url}/jobs -H 'content-type: application/json' -d '{"names":["Ada","Grace","Linus"]}'
  curl ${url}/jobs/<id from the previous answer>
  curl ${url}/services
  curl ${url}/config/dev/greeter
  curl ${url}/readyz
Change the greeting on every greeter, without a restart:
  ${epctl} --endpoints ${endpoints} config set ${NAMESPACE} 'template=Ahoy, {name}! ({instance})' -m 'pirate greeting'
  (one setting; the others stay. A bad one is refused at the door: the greeters stored their schema)
  ${epctl} --endpoints ${endpoints} config history ${NAMESPACE}
  etcdctl --endpoints=${endpoints} get --prefix /services/
${traces.receiver ? `Look at a request's trace:\n  ${traces.receiver.tracesUrl}/<x-trace-id>   (waterfall; JSON with -H 'accept: application/json')\n` : ''}Ctrl-C stops everything.
`);
    for (const app of apps) {
      void app.waitForExit().then(({ code, signal }) => {
        if (!stopping) say(`[${app.instance}] exited unexpectedly (code ${code}, signal ${signal})`);
      });
    }
  } catch (error) {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll();
    process.exit(1);
  }
}

void main();
