import { generateFiles, logger, names, type Tree } from '@nx/devkit';
import { join } from 'node:path';
import { GeneratorError } from '../../internal/generator-error';
import { addProviderToAppModule, appModuleFiles } from '../../internal/nest-module';
import { parseProtoService, type ProtoMethod } from '../../internal/proto-service';
import { exportedProtoConstants, exportedProtoTypes, PROTOS_INDEX } from '../../internal/protos-index';
import type { ClientGeneratorOptions } from './schema';

const KEBAB = /^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$/;

/** The apps of the workspace (folders under `apps/` with a project.json). */
function appNames(tree: Tree): string[] {
  return tree.exists('apps') ? tree.children('apps').filter((a) => tree.exists(`apps/${a}/project.json`)).sort() : [];
}

/**
 * `nx g @etcd-patterns/nx-plugin:client <name> --in=<app>`: adds `apps/<app>/src/<name>-client.ts`,
 * a typed NestJS gRPC client of `etcd:///<name>` in the gateway's pattern (one method per unary
 * rpc of the proto; streaming rpcs are left out), and registers it as a provider of the app's
 * Nest module (the one with a single `providers: [...]`; otherwise it says how to).
 * @throws {GeneratorError} `INVALID_NAME`; `APP_NOT_FOUND` when `apps/<app>` is not a project;
 *   `PROTO_NOT_FOUND` when the proto does not exist; `UNSUPPORTED_PROTO` when protos/index.ts
 *   does not export its constants or types; `UNSUPPORTED_WORKSPACE` when the app has no Nest
 *   module; `ALREADY_EXISTS` when the client file exists.
 */
export async function clientGenerator(tree: Tree, options: ClientGeneratorOptions): Promise<void> {
  const { name, in: app } = options;
  for (const [flag, value] of [['name', name], ['--in', app]] as const) {
    if (typeof value !== 'string' || !KEBAB.test(value)) throw new GeneratorError('INVALID_NAME', `${flag} ${JSON.stringify(value)} must be a kebab-case name (lower-case letters, digits, single dashes), e.g. billing`);
  }
  if (!tree.exists(`apps/${app}/project.json`)) {
    throw new GeneratorError('APP_NOT_FOUND', `no app apps/${app} (apps/${app}/project.json); apps: ${appNames(tree).join(', ') || 'none'}`);
  }
  const protoFile = `protos/${name}/v1/${name}.proto`;
  const protoText = tree.read(protoFile, 'utf-8');
  if (protoText === null) {
    throw new GeneratorError('PROTO_NOT_FOUND', `no service proto ${protoFile}: generate the service first (npx nx g @etcd-patterns/nx-plugin:service ${name}) or add its proto`);
  }
  const proto = parseProtoService(protoText, protoFile);
  const unary = proto.methods.filter((m) => !m.requestStream && !m.responseStream);
  const skipped = proto.methods.filter((m) => m.requestStream || m.responseStream).map((m) => m.name);
  if (unary.length === 0) throw new GeneratorError('UNSUPPORTED_PROTO', `${protoFile}: ${proto.serviceName} has only streaming rpcs; the client generator writes unary methods`);

  const n = names(name);
  const index = tree.read(PROTOS_INDEX, 'utf-8') ?? '';
  const types = [...new Set(unary.flatMap((m: ProtoMethod) => [m.requestType, `${m.responseType}__Output`]))];
  const missingTypes = types.filter((t) => !exportedProtoTypes(index).has(t));
  const missingConstants = ['PACKAGE', 'SERVICE'].filter((k) => !new RegExp(`^export const ${n.constantName}_${k} =`, 'm').test(index));
  if (!exportedProtoConstants(index).has(n.constantName)) missingConstants.unshift('PROTO');
  if (missingTypes.length > 0 || missingConstants.length > 0) {
    const what = [...missingConstants.map((k) => `${n.constantName}_${k}`), ...missingTypes.map((t) => `type ${t}`)];
    throw new GeneratorError('UNSUPPORTED_PROTO', `${PROTOS_INDEX} does not export ${what.join(', ')} for ${protoFile}; add them as for the greeter (then run npm run protos:gen)`);
  }
  if (appModuleFiles(tree, app).length === 0) {
    throw new GeneratorError('UNSUPPORTED_WORKSPACE', `apps/${app} has no Nest module (src/*.module.ts): the client is a Nest provider`);
  }
  const clientFile = `apps/${app}/src/${name}-client.ts`;
  if (tree.exists(clientFile)) throw new GeneratorError('ALREADY_EXISTS', `${clientFile} exists already; nothing was written`);

  const tokens = tree.read(`apps/${app}/src/tokens.ts`, 'utf-8') ?? '';
  generateFiles(tree, join(__dirname, 'files'), '.', {
    ...n,
    name,
    app,
    packageName: proto.packageName,
    serviceName: proto.serviceName,
    methods: unary.map((m) => ({ ...m, propertyName: m.name[0]!.toLowerCase() + m.name.slice(1) })),
    skipped,
    types,
    hasLogger: /^export const LOGGER = /m.test(tokens),
    tmpl: '',
  });
  const registered = addProviderToAppModule(tree, app, `${n.className}Client`, `./${name}-client`);
  if (registered) logger.info(`${name} client: ${clientFile}, provided by ${registered.file}; inject it with @Inject(${n.className}Client)`);
  else logger.warn(`${name} client: ${clientFile} written; add ${n.className}Client to the providers of the app's Nest module`);
  if (skipped.length > 0) logger.warn(`${name} client: streaming rpcs left out: ${skipped.join(', ')}`);
}

export default clientGenerator;
