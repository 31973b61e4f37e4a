import type { Tree } from '@nx/devkit';
import { isCollection, isMap, isScalar, parseDocument, type Document } from 'yaml';
import { GeneratorError } from './generator-error';

export const COMPOSE_FILE = 'docker-compose.yml';
export const PROMETHEUS_FILE = 'deploy/prometheus.yml';

/** First gRPC port handed out in `docker-compose.yml` (greeter 50051, worker 50052, ...). */
const FIRST_GRPC_PORT = 50051;

function parse(text: string, file: string): Document.Parsed {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new GeneratorError('UNSUPPORTED_WORKSPACE', `${file} is not valid YAML: ${doc.errors[0]!.message}`);
  return doc;
}

/** The position of the block collection under the top-level `key`, or a refusal. */
function blockSection(doc: Document.Parsed, key: string, file: string): { range: readonly [number, number, number] } {
  const node = doc.get(key, true);
  if (!isCollection(node) || node.flow || !node.range) {
    throw new GeneratorError('UNSUPPORTED_WORKSPACE', `${file} has no block-style \`${key}:\` section to add the service to; add it by hand (see the service README)`);
  }
  return { range: node.range };
}

/** The service names of `docker-compose.yml`. */
export function composeServiceNames(text: string): string[] {
  const services = parse(text, COMPOSE_FILE).get('services', true);
  return isMap(services) ? services.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key)) : [];
}

/**
 * The next free gRPC port for a new service: one above the highest `*_PORT` value of 50051
 * or more set in any service's environment (greeter 50051, worker 50052, ...). Ports inside
 * containers never clash; distinct ones keep `docker compose` files readable.
 */
export function nextGrpcPort(text: string): number {
  const json = parse(text, COMPOSE_FILE).toJS({ maxAliasCount: -1 }) as { services?: Record<string, { environment?: Record<string, unknown> }> };
  let highest = FIRST_GRPC_PORT - 1;
  for (const service of Object.values(json.services ?? {})) {
    for (const [key, value] of Object.entries(service?.environment ?? {})) {
      const port = Number(value);
      if (key.endsWith('_PORT') && Number.isInteger(port) && port >= FIRST_GRPC_PORT && port < 60000) highest = Math.max(highest, port);
    }
  }
  return highest + 1;
}

/**
 * `text` with `block` (already indented for its place) appended at the end of the top-level
 * block mapping or sequence `section`, after a blank line. Everything else stays byte for byte
 * (comments, anchors, flow collections, quoting): the position comes from the parsed document,
 * and the result is parsed again to check that `check` holds.
 */
export function appendToSection(text: string, file: string, section: string, block: string, check: (json: unknown) => boolean): string {
  const node = blockSection(parse(text, file), section, file);
  const end = node.range[1];
  const head = text.slice(0, end);
  const out = `${head}${head.endsWith('\n') ? '' : '\n'}\n${block.endsWith('\n') ? block : `${block}\n`}${text.slice(end)}`;
  if (!check(parse(out, file).toJS({ maxAliasCount: -1 }))) {
    throw new GeneratorError('UNSUPPORTED_WORKSPACE', `${file}: the new entry did not land under \`${section}:\`; add it by hand (see the service README)`);
  }
  return out;
}

/**
 * `docker-compose.yml` with the service `name` appended under `services:` (`block` is its
 * YAML, indented by two spaces).
 * @throws {GeneratorError} `ALREADY_EXISTS` when the service is defined, `UNSUPPORTED_WORKSPACE`
 *   when the file has no block-style `services:`.
 */
export function withComposeService(text: string, name: string, block: string): string {
  if (composeServiceNames(text).includes(name)) throw new GeneratorError('ALREADY_EXISTS', `${COMPOSE_FILE} already defines a service called ${name}`);
  return appendToSection(text, COMPOSE_FILE, 'services', block, (json) => {
    const services = (json as { services?: Record<string, unknown> }).services ?? {};
    return typeof services[name] === 'object' && services[name] !== null;
  });
}

/**
 * `deploy/prometheus.yml` with a scrape job for the replicas of `name` (compose's DNS answers
 * a service name with one A record per replica), on the metrics port 9464.
 * @throws {GeneratorError} `ALREADY_EXISTS` when a job of that name exists.
 */
export function withPrometheusJob(text: string, name: string): string {
  const json = parse(text, PROMETHEUS_FILE).toJS() as { scrape_configs?: Array<{ job_name?: string }> };
  if ((json.scrape_configs ?? []).some((job) => job.job_name === name)) {
    throw new GeneratorError('ALREADY_EXISTS', `${PROMETHEUS_FILE} already has a scrape job called ${name}`);
  }
  const block = [`  - job_name: ${name}`, '    dns_sd_configs:', `      - names: ["${name}"]`, '        type: A', '        port: 9464', '        refresh_interval: 10s'].join('\n');
  return appendToSection(text, PROMETHEUS_FILE, 'scrape_configs', block, (parsed) =>
    ((parsed as { scrape_configs?: Array<{ job_name?: string }> }).scrape_configs ?? []).some((job) => job.job_name === name),
  );
}

/** Applies `edit` to `file` in the tree; returns false (and changes nothing) when the file does not exist. */
export function editIfExists(tree: Tree, file: string, edit: (text: string) => string): boolean {
  const text = tree.read(file, 'utf-8');
  if (text === null) return false;
  tree.write(file, edit(text));
  return true;
}
