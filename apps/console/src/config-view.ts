import {
  compileJsonSchema,
  ConfigNamespace,
  ConfigValidationError,
  getConfig,
  getStoredSchema,
  isConfigError,
  listApplied,
  listVersions,
  publish,
  rollback,
  showVersion,
  validateDocument,
  type PublishResult,
} from '@etcd-patterns/config';
import type {
  AppliedView,
  ConfigNamespacesView,
  ConfigNamespaceView,
  ConfigVersionDocument,
  PublishConfigRequest,
  PublishConfigResult,
  RollbackConfigRequest,
} from '@etcd-patterns/console-contract';
import { toKeyValue, type Etcd3 } from '@etcd-patterns/etcd';
import { stringify } from 'yaml';
import { ApiException, badRequest, consoleEtcdError } from './api-error';
import { locatedIssues, parseDocumentText, type DocumentText } from './document-text';
import { scanKeys } from './key-scan';

/** Where the config center lives and who acts. */
export interface ConfigContext {
  readonly client: Etcd3;
  /** Root prefix (`/config`). */
  readonly root: string;
}

const toYaml = (value: unknown): string => stringify(value, { lineWidth: 0 });

/**
 * Every namespace with a `_meta` record under the root (`<root>/<env>/<app>/_meta`, see
 * `ConfigNamespace`), found by a keys-only scan of the root, with its live version, time and
 * author. Namespaces are sorted by name.
 */
export async function configNamespaces(ctx: ConfigContext): Promise<ConfigNamespacesView & { revision: number }> {
  const root = ctx.root.replace(/\/+$/, '');
  const pattern = new RegExp(`^${escapeRegExp(root)}/([A-Za-z0-9][A-Za-z0-9_.-]*)/([A-Za-z0-9][A-Za-z0-9_.-]*)/_meta$`);
  const { keys, revision } = await scanKeys(ctx.client, `${root}/`);
  const metaKeys = keys.filter((k) => pattern.test(k.key)).map((k) => k.key);
  const metas = await readValues(ctx.client, metaKeys, revision);
  const namespaces = metaKeys.map((key) => {
    const [, env, app] = pattern.exec(key)!;
    const meta = parseJson(metas.get(key));
    return {
      namespace: `${env}/${app}`,
      version: typeof meta?.['version'] === 'number' ? meta['version'] : 0,
      ...(typeof meta?.['time'] === 'string' ? { time: meta['time'] } : {}),
      ...(typeof meta?.['author'] === 'string' ? { author: meta['author'] } : {}),
    };
  });
  namespaces.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
  return { namespaces, revision };
}

/**
 * One namespace: the live document (and as YAML), its history, what every replica applied,
 * drift (`keys-edited`: the keys were written around publish; `replicas-disagree`: a replica
 * runs another version, or its report is malformed) and the stored JSON Schema.
 * @throws {EtcdPatternsError} `CONFIG_NOT_FOUND` (404) when nothing is published.
 */
export async function configNamespaceView(ctx: ConfigContext, namespace: string): Promise<ConfigNamespaceView> {
  const ns = ConfigNamespace.parse(namespace, ctx.root);
  const base = { client: ctx.client, namespace: ns };
  const [live, versions, applied, schema] = await Promise.all([getConfig(base), listVersions({ ...base, limit: 100 }), listApplied(base), getStoredSchema(base)]);
  const appliedViews = applied.map(
    (a): AppliedView =>
      a.valid
        ? {
            instance: a.instance,
            version: a.version,
            source: a.source,
            appliedAt: a.appliedAt,
            ...(a.rejected ? { rejected: { version: a.rejected.version, reason: a.rejected.reason } } : {}),
          }
        : { instance: a.instance, version: 0, malformed: a.error },
  );
  const driftReasons = [
    ...(live.drift ? ['keys-edited'] : []),
    ...(appliedViews.some((a) => a.malformed !== undefined || a.version !== live.version) ? ['replicas-disagree'] : []),
  ];
  return {
    namespace: ns.name,
    version: live.version,
    revision: live.revision,
    author: live.meta?.author ?? '',
    time: live.meta?.time ?? '',
    message: live.meta?.message ?? '',
    document: live.document,
    yaml: toYaml(live.document),
    versions: versions.map((v) => ({
      version: v.version,
      revision: v.revision,
      time: v.time,
      author: v.author,
      message: v.message,
      ...(v.rollbackOf === undefined ? {} : { rollbackOf: v.rollbackOf }),
    })),
    applied: appliedViews,
    drift: driftReasons.length > 0,
    driftReasons,
    ...(schema ? { schema } : {}),
  };
}

/** One version's document. @throws `CONFIG_NOT_FOUND` (404) for a version that does not exist. */
export async function configVersionDocument(ctx: ConfigContext, namespace: string, version: number): Promise<ConfigVersionDocument> {
  const v = await showVersion({ client: ctx.client, namespace: ConfigNamespace.parse(namespace, ctx.root), version });
  return { version: v.version, document: v.document, yaml: toYaml(v.document) };
}

/**
 * Parses the editor's text and checks it against the namespace's stored JSON Schema (when there
 * is one), as publish would.
 * @throws {ApiException} 400 with `issues[].at` = `line:column`.
 */
export async function validateConfigText(ctx: ConfigContext, namespace: string, request: Pick<PublishConfigRequest, 'text' | 'format'>): Promise<DocumentText> {
  const ns = ConfigNamespace.parse(namespace, ctx.root);
  const source = parseDocumentText(request.text, request.format);
  const schema = await getStoredSchema({ client: ctx.client, namespace: ns });
  if (schema) {
    try {
      validateDocument(compileJsonSchema(schema, `the stored schema of ${ns.name}`), source.document, `config ${ns.name} does not match the namespace's stored schema`);
    } catch (error) {
      if (error instanceof ConfigValidationError) throw badRequest(error.message, locatedIssues(error, source));
      throw error;
    }
  }
  return source;
}

/**
 * Publishes the editor's text as the next version, if `baseVersion` is still live.
 * @throws {ApiException} 400 (parse or schema, with positions), 409 `CONFIG_CONFLICT` with
 *   `conflict: { yours, theirs, theirsVersion }` (the live document and version).
 */
export async function publishConfigText(ctx: ConfigContext, namespace: string, request: PublishConfigRequest, author: string): Promise<PublishConfigResult> {
  const source = await validateConfigText(ctx, namespace, request);
  const ns = ConfigNamespace.parse(namespace, ctx.root);
  try {
    const result = await publish({ client: ctx.client, namespace: ns, document: source.document, baseVersion: request.baseVersion, author, message: request.message ?? '' });
    return publishResult(result);
  } catch (error) {
    throw await conflictOrValidation(ctx, ns, error, source.document, source);
  }
}

/**
 * Re-publishes an old version as the next one, if `baseVersion` is still live.
 * @throws {ApiException} 409 `CONFIG_CONFLICT` as {@link publishConfigText}; 404 for an
 *   unknown version.
 */
export async function rollbackConfig(ctx: ConfigContext, namespace: string, request: RollbackConfigRequest, author: string): Promise<PublishConfigResult> {
  const ns = ConfigNamespace.parse(namespace, ctx.root);
  try {
    return publishResult(await rollback({ client: ctx.client, namespace: ns, version: request.version, baseVersion: request.baseVersion, author }));
  } catch (error) {
    if (isConfigError(error, 'CONFIG_CONFLICT')) {
      const old = await showVersion({ client: ctx.client, namespace: ns, version: request.version });
      throw await conflictOrValidation(ctx, ns, error, old.document, undefined);
    }
    throw error;
  }
}

function publishResult(result: PublishResult): PublishConfigResult {
  return { version: result.version, revision: result.revision, diff: { added: result.diff.added, removed: result.diff.removed, changed: result.diff.changed } };
}

async function conflictOrValidation(ctx: ConfigContext, ns: ConfigNamespace, error: unknown, yours: unknown, source: DocumentText | undefined): Promise<unknown> {
  if (error instanceof ConfigValidationError && source) return badRequest(error.message, locatedIssues(error, source));
  if (!isConfigError(error, 'CONFIG_CONFLICT')) return error;
  let theirs: unknown = null;
  let theirsVersion: number | undefined;
  try {
    const live = await getConfig({ client: ctx.client, namespace: ns });
    theirs = live.document;
    theirsVersion = live.version;
  } catch (readError) {
    if (!isConfigError(readError, 'CONFIG_NOT_FOUND')) throw readError;
  }
  return new ApiException(409, 'CONFIG_CONFLICT', error.message, { conflict: { yours, theirs, ...(theirsVersion === undefined ? {} : { theirsVersion }) } });
}

/** Values of `keys` at `revision`, read in transactions of at most 128 reads. */
export async function readValues(client: Etcd3, keys: readonly string[], revision?: number): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (let i = 0; i < keys.length; i += 128) {
    const batch = keys.slice(i, i + 128);
    let res;
    try {
      res = await client.kv.txn({ success: batch.map((key) => ({ request_range: { key: Buffer.from(key), ...(revision ? { revision } : {}) } })) });
    } catch (error) {
      throw consoleEtcdError(error, 'reading values');
    }
    for (const r of res.responses) for (const raw of r.response_range?.kvs ?? []) out.set(toKeyValue(raw).key, raw.value ?? Buffer.alloc(0));
  }
  return out;
}

function parseJson(value: Buffer | undefined): Record<string, unknown> | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value.toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
