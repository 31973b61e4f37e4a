// `npm run demo` (tools/scripts/demo.sh): the whole system on this machine, as processes.
//
//   - a 3-member etcd cluster from local binaries (the etcd-cluster harness), or the cluster in
//     ETCD_ENDPOINTS when set;
//   - the default greeter config published to dev/greeter (unless one is published already);
//   - 3 greeters (zones a, b, c), 2 workers and the gateway on DEMO_GATEWAY_PORT (default 8080);
//   - 2 backup replicas (apps/backup): the elected one snapshots etcd every 30 s into tmp/demo-backups;
//   - the ops console (apps/console) on 127.0.0.1:DEMO_CONSOLE_PORT (default 8088), with the demo
//     controls (pause/resume/kill/start etcd members, kill/start app replicas) through a control
//     endpoint of this launcher on loopback, guarded by a random token (see demo-control.ts);
//   - URLs and example requests printed; Ctrl-C stops everything in order (gateway, workers,
//     greeters: each deregisters and drains; then etcd).
//
// Telemetry: without OTEL_EXPORTER_OTLP_ENDPOINT, a built-in trace viewer on 127.0.0.1:DEMO_TRACES_PORT
// (default 16686) receives every app's spans and shows them at /traces (see demo-traces.ts). Set
// OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://localhost:4318 of a local Jaeger) to export there instead.
// Each app serves Prometheus metrics at /metrics on consecutive ports from DEMO_METRICS_PORT
// (default 9464; see demo-metrics.ts), printed with the other URLs.
//
// `npm run demo -- --secure`: the cluster serves TLS to clients and peers with --client-cert-auth
// (certificates made now with openssl, never committed), deploy/access.yaml is applied with auth
// enabled (see secure-demo.ts), and every app runs as its own etcd user (password file) with its
// own client certificate, gRPC TLS between services. Passwords: tmp/demo-secure/secrets/ (0600),
// never printed; the console signs in with those etcd users.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { listVersions, publish } from '@etcd-patterns/config';
import { createEtcdClient } from '@etcd-patterns/etcd';
import { TestPki } from '@etcd-patterns/etcd-cluster';
import { AppProcess, REPO_ROOT, type AppName } from './app-process';
import { DEFAULT_GREETER_CONFIG } from './default-config';
import { DemoControlError, DemoControlServer, type DemoControlTarget } from './demo-control';
import { DemoEtcd } from './demo-etcd';
import { demoNetworkEnv } from './demo-env';
import { demoMetricsPorts } from './demo-metrics';
import { startDemoTraces, type DemoTraces } from './demo-traces';
import { formatLogLine } from './log-line';
import { prepareSecureDemo, type SecureDemo } from './secure-demo';
import { parseDemoArgs, SECURE_CONFIG_NAMESPACE, type DemoArgs } from './secure-env';

const PLAIN_NAMESPACE = 'dev/greeter';
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

async function main(): Promise<void> {
  let args: DemoArgs;
  try {
    args = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`demo: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const NAMESPACE = args.secure ? SECURE_CONFIG_NAMESPACE : PLAIN_NAMESPACE;
  const external = process.env['ETCD_ENDPOINTS'];
  let secure: SecureDemo | undefined;
  const gatewayPort = process.env['DEMO_GATEWAY_PORT'] ?? '8080';
  let etcd: DemoEtcd | undefined;
  let traces: DemoTraces | undefined;
  let control: DemoControlServer | undefined;
  let consoleApp: AppProcess | undefined;
  const apps: AppProcess[] = [];
  let stopping = false;

  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('\nstopping: backups (the leader resigns), gateway, workers, greeters (each deregisters and drains), then etcd ...');
    await consoleApp?.stop();
    await control?.close();
    const order: AppName[] = ['backup', 'gateway', 'worker', 'greeter'];
    for (const app of order) await Promise.all(apps.filter((a) => a.app === app).map((a) => a.stop()));
    await traces?.receiver?.close(); // after the apps: their last spans are flushed on shutdown
    await etcd?.stop();
    say('stopped.');
  };
  process.on('SIGINT', () => {
    if (stopping) {
      say('second Ctrl-C: killing everything');
      for (const a of [...apps, ...(consoleApp ? [consoleApp] : [])]) void a.kill();
      etcd?.kill();
      process.exit(130);
    }
    void stopAll().then(() => process.exit(0));
  });
  process.on('SIGTERM', () => void stopAll().then(() => process.exit(0)));

  try {
    if (external && args.secure) throw new Error('--secure starts a cluster of its own (TLS, auth): unset ETCD_ENDPOINTS');
    if (external) {
      say(`using the etcd cluster in ETCD_ENDPOINTS=${external}`);
    } else {
      say(`starting a 3-member etcd cluster from local binaries${args.secure ? ' (TLS for clients and peers, client certificates required)' : ''} ...`);
      etcd = await DemoEtcd.start(3, { tls: args.secure });
    }
    const endpoints = external ?? etcd!.endpoints;
    if (args.secure) {
      const stateDir = join(REPO_ROOT, 'tmp', 'demo-secure');
      rmSync(stateDir, { recursive: true, force: true }); // the passwords of an earlier run belong to a cluster that is gone
      secure = await prepareSecureDemo({ endpoints: endpoints.split(','), pki: TestPki.open(etcd!.pkiDir!), stateDir });
      say(`applied deploy/access.yaml: ${secure.users.length} etcd users, auth enabled (passwords in ${secure.secretsDir}, mode 0600)`);
    }
    const secureEnv = (app: AppName): Record<string, string> => secure?.appEnv(app) ?? {};
    const client = await createEtcdClient(secure ? secure.clientOptions('console') : { endpoints: endpoints.split(',') });
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
    // One metrics port per app, in this order: greeters, workers, the gateway, the console.
    const metricsPorts = await demoMetricsPorts(7, { host });
    const specs: Array<{ app: AppName; instance: string; env: Record<string, string> }> = [
      ...['a', 'b', 'c'].map((zone, i) => ({ app: 'greeter' as const, instance: `greeter-${i + 1}`, env: { ...base, ...secureEnv('greeter'), GREETER_ZONE: `zone-${zone}`, METRICS_PORT: metricsPorts[i]! } })),
      ...[1, 2].map((i) => ({ app: 'worker' as const, instance: `worker-${i}`, env: { ...base, ...secureEnv('worker'), WORKER_ITEM_DELAY_MS: '500', METRICS_PORT: metricsPorts[2 + i]! } })),
    ];
    say('starting 3 greeters and 2 workers ...');
    let color = 0;
    type AppSpec = { app: AppName; instance: string; env: Record<string, string> };
    const specsById = new Map<string, AppSpec>();
    const colorOf = new Map<string, string>();
    const killedFromConsole = new Set<string>();
    const watchExit = (app: AppProcess): void => {
      void app.waitForExit().then(({ code, signal }) => {
        if (killedFromConsole.delete(app.instance)) say(`[${app.instance}] killed from the console (start it again there)`);
        else if (!stopping) say(`[${app.instance}] exited unexpectedly (code ${code}, signal ${signal})`);
      });
    };
    const startApp = async (spec: AppSpec): Promise<AppProcess> => {
      specsById.set(spec.instance, spec);
      if (!colorOf.has(spec.instance)) colorOf.set(spec.instance, COLORS[color++ % COLORS.length]!);
      const app = await AppProcess.start({
        app: spec.app,
        env: { ...spec.env, INSTANCE_NAME: spec.instance },
        onLine: printer(spec.instance, colorOf.get(spec.instance)!),
        ownProcessGroup: true,
      });
      apps.push(app);
      return app;
    };
    await Promise.all(specs.map(startApp));
    const gateway = await startApp({ app: 'gateway', instance: 'gateway', env: { ...base, ...secureEnv('gateway'), GATEWAY_PORT: gatewayPort, METRICS_PORT: metricsPorts[5]! } });
    const url = String((await gateway.waitForLog((e) => e['msg'] === 'gateway ready'))['url']);
    // Two backup replicas: the elected one takes a verified snapshot every 30 s into tmp/demo-backups.
    const backupDir = join(REPO_ROOT, 'tmp', 'demo-backups');
    const backupEnv = { ...base, ...secureEnv('backup'), BACKUP_DIR: backupDir, BACKUP_NAME: 'demo', BACKUP_INTERVAL_MS: '30000', BACKUP_KEEP: '5', HTTP_HOST: host ?? '127.0.0.1', HTTP_PORT: '0', METRICS_PORT: '0' };
    const backups = await Promise.all([1, 2].map((i) => startApp({ app: 'backup', instance: `backup-${i}`, env: backupEnv })));
    const backupHealth = await Promise.all(backups.map(async (b) => String((await b.waitForLog((e) => e['msg'] === 'backup ready'))['health'])));
    const metricsLines = await Promise.all(
      [...apps].sort((a, b) => a.instance.localeCompare(b.instance)).map(async (a) => {
        const served = (await a.waitForLog((e) => e['msg'] === `${a.app} ready`))['metrics'];
        return `    ${a.instance.padEnd(10)}${typeof served === 'string' ? served : 'not served (METRICS_PORT=off, or see its log)'}`;
      }),
    );
    // The console, with the demo controls: this launcher's control endpoint (loopback, random token).
    const target: DemoControlTarget = {
      view: async () => ({
        members: etcd ? await etcd.control('list') : [],
        apps: [...specsById.values()].map((spec) => ({
          id: spec.instance,
          app: spec.app,
          state: apps.some((a) => a.instance === spec.instance && a.running) ? ('running' as const) : ('stopped' as const),
        })),
      }),
      member: async (name, action) => {
        if (!etcd) throw new DemoControlError(404, 'NOT_FOUND', 'the demo uses the etcd cluster in ETCD_ENDPOINTS: it has no member controls');
        say(`[demo] ${action} etcd member ${name} (from the console)`);
        await etcd.control(action, name);
      },
      app: async (id, action) => {
        const spec = specsById.get(id);
        if (!spec) throw new DemoControlError(404, 'NOT_FOUND', `no app replica ${id}`);
        const live = apps.find((a) => a.instance === id && a.running);
        if (action === 'kill') {
          if (!live) throw new DemoControlError(409, 'CONFLICT', `${id} is not running`);
          killedFromConsole.add(id);
          await live.kill();
          return;
        }
        if (live) throw new DemoControlError(409, 'CONFLICT', `${id} is already running`);
        apps.splice(0, apps.length, ...apps.filter((a) => a.instance !== id));
        say(`[demo] starting ${id} again (from the console)`);
        watchExit(await startApp(spec));
      },
    };
    control = await DemoControlServer.start({ target });
    consoleApp = await AppProcess.start({
      app: 'console',
      env: {
        ...traces.env,
        ...secureEnv('console'), // secure: TLS files only; the console holds no etcd user
        ETCD_ENDPOINTS: endpoints,
        INSTANCE_NAME: 'console',
        CONSOLE_HOST: '127.0.0.1', // always loopback (the plain demo's etcd has no auth)
        CONSOLE_PORT: process.env['DEMO_CONSOLE_PORT'] || '8088',
        CONSOLE_DEMO_CONTROL_URL: control.url,
        CONSOLE_DEMO_CONTROL_TOKEN: control.token,
        METRICS_HOST: '127.0.0.1',
        METRICS_PORT: metricsPorts[6]!,
      },
      onLine: printer('console', COLORS[color++ % COLORS.length]!),
      ownProcessGroup: true,
    });
    const consoleUrl = String((await consoleApp.waitForLog((e) => e['msg'] === 'console ready'))['url']);
    traces.receiver?.forwardTo(`${consoleUrl}/v1/traces`); // the console's trace page sees them too
    const epctl = secure ? `source ${secure.operatorEnvFile}; npx epctl` : 'npx epctl';
    const etcdctl = secure ? `etcdctl` : `etcdctl --endpoints=${endpoints}`; // secure: ETCDCTL_* from operator.env
    const consoleNote = secure
      ? `(sign in with an etcd user: root, or viewer for read-only; password files ${secure.passwordFile('root')} and ${secure.passwordFile('viewer')})`
      : '(ops console: sign in with any name, etcd auth is off)';
    say(`
The demo is running${secure ? ' in secure mode: TLS + client certificates to etcd, etcd auth on (deploy/access.yaml), one etcd user per app, gRPC TLS between services' : ''}. etcd: ${endpoints}
  gateway   ${url}
  console   ${consoleUrl}   ${consoleNote}${secure ? `
  secrets   ${secure.secretsDir}/etcd-<user>-password (mode 0600, never printed); as root: source ${secure.operatorEnvFile}` : ''}
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
  ${etcdctl} get --prefix /services/
${traces.receiver ? `Look at a request's trace:\n  ${traces.receiver.tracesUrl}/<x-trace-id>   (waterfall; JSON with -H 'accept: application/json')\n` : ''}Ctrl-C stops everything.
`);
    for (const app of apps) watchExit(app);
    watchExit(consoleApp);
  } catch (error) {
    process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAll();
    process.exit(1);
  }
}

void main();
