import { createLogger, metricsUrl } from '@etcd-patterns/telemetry';
import { startConsole } from './console-app';
import { parseConsoleEnv } from './env';
import { REDACTED_LOG_PATHS } from './log-redaction';

async function main(): Promise<void> {
  let env;
  try {
    env = parseConsoleEnv();
  } catch (error) {
    process.stderr.write(`console: ${(error as Error).message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const log = createLogger({ service: 'console', level: env.LOG_LEVEL, redactPaths: REDACTED_LOG_PATHS });
  let running;
  try {
    running = await startConsole(env, log, { shutdownTelemetry: true });
  } catch (error) {
    process.stderr.write(`console: ${(error as Error).message}\n`);
    process.exit(78);
  }
  running.app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  log.info(
    { url: running.url, docs: `${running.url}/api/docs`, authEnabled: running.authEnabled, staticDir: env.CONSOLE_STATIC_DIR, demoControls: env.CONSOLE_DEMO_CONTROL_URL !== undefined, metrics: await metricsUrl() },
    'console ready',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`console: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
