/**
 * `service.name` of this process: `OTEL_SERVICE_NAME`, else the name the caller gave, else the
 * app's folder (`apps/greeter/src/main.ts` gives `greeter`).
 */
export function resolveServiceName(fromEnv: string | undefined, given: string | undefined): string {
  return fromEnv ?? given ?? defaultServiceName();
}

function defaultServiceName(): string {
  const script = process.argv[1] ?? 'app';
  return script.split(/[\\/]/).slice(-3, -2)[0] ?? 'app';
}
