/**
 * Bind and advertise addresses of the apps in the local demo (`npm run demo`): loopback by
 * default, so the gateway's HTTP port and the gRPC servers are not reachable from the network.
 * `host` (the demo's `DEMO_HOST`) binds another interface; with a wildcard (`0.0.0.0`, `::`) the
 * apps still advertise 127.0.0.1 to each other. docker-compose sets its own (`0.0.0.0`, `@ip`).
 */
export function demoNetworkEnv(host = '127.0.0.1'): Record<string, string> {
  const advertise = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    GATEWAY_HOST: host,
    GREETER_HOST: host,
    GREETER_ADVERTISE_HOST: advertise,
    WORKER_HOST: host,
    WORKER_ADVERTISE_HOST: advertise,
  };
}
