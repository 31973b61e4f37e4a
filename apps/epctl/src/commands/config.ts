// `epctl config ...`: the configuration center (publish, set, get, history, diff, rollback,
// prune, watch, schema).
import {
  assertConfigDocument,
  compileJsonSchema,
  ConfigConflictError,
  ConfigError,
  ConfigValidationError,
  decodeSegment,
  deleteStoredSchema,
  diffDocuments,
  diffVersions,
  getConfig,
  getStoredSchema,
  listVersions,
  mergePatch,
  pruneHistory,
  publish,
  rollback,
  setStoredSchema,
  settingPatch,
  showVersion,
  validateDocument,
  watchConfig,
  type ConfigDocument,
  type JsonValue,
  type LiveConfig,
} from '@etcd-patterns/config';
import type { Etcd3 } from '@etcd-patterns/etcd';
import { InvalidArgumentError, type Command } from 'commander';
import { hostname, userInfo } from 'node:os';
import { z } from 'zod';
import { intArg } from '../args';
import type { EpctlContext } from '../context';
import { DeclinedError } from '../declined-error';
import { loadDocumentSource, withPositions, type DocumentSource } from '../document-source';
import { errorJson, errorText, formatDiff, formatHistory, toYaml } from '../format';
import { loadJsonSchemaFile, loadSchema, parseYamlOrJson } from '../load-file';

/** Registers `epctl config ...` on the root program. */
export function registerConfigCommands(program: Command, ctx: EpctlContext): void {
  const config = program.command('config').description('configuration center');
  const nsOptions = (cmd: Command, namespace: string, client: Etcd3) => ({ client, namespace, root: ctx.globals(cmd).root });

  interface PublishFlags {
    baseVersion?: number;
    author?: string;
    message: string;
    schema?: string;
    storedSchema: boolean;
    dryRun?: boolean;
    yes?: boolean;
  }
  /**
   * Reads the live config, builds the next document from it, shows what it removes (and asks,
   * on a terminal), then publishes with the live version as the base version, so nothing
   * published meanwhile is overwritten unseen (exit 4).
   */
  const publishNext = async (
    cmd: Command,
    namespace: string,
    next: (live: LiveConfig | undefined) => ConfigDocument,
    opts: PublishFlags,
    source: DocumentSource | undefined,
  ): Promise<void> => {
    const schema = opts.schema ? await loadSchema(opts.schema) : undefined;
    const client = await ctx.connect(cmd);
    const live = await getConfig(nsOptions(cmd, namespace, client)).catch((e: unknown) => {
      if (e instanceof ConfigError && e.code === 'CONFIG_NOT_FOUND') return undefined;
      throw e;
    });
    const liveVersion = live?.version ?? 0;
    if (opts.baseVersion !== undefined && liveVersion !== opts.baseVersion) throw new ConfigConflictError(opts.baseVersion, liveVersion, namespace);
    const document = next(live);
    const located = (error: unknown): unknown => (error instanceof ConfigValidationError && source ? withPositions(error, source) : error);
    const diff = diffDocuments(live?.document, document);
    if (opts.dryRun) {
      try {
        const storedJson = opts.storedSchema ? await getStoredSchema(nsOptions(cmd, namespace, client)) : undefined;
        const checks = [schema, storedJson ? compileJsonSchema(storedJson, `the stored schema of ${namespace}`) : undefined];
        for (const s of checks) if (s) validateDocument(s, document, `config ${namespace} does not match its schema`);
      } catch (error) {
        throw located(error);
      }
      ctx.emit(`dry run: ${namespace} would go from version ${liveVersion} to ${liveVersion + 1}\n${formatDiff(diff)}`, { dryRun: true, namespace, baseVersion: liveVersion, diff });
      return;
    }
    if (diff.removed.length > 0 && !opts.yes) {
      const list = diff.removed.map((r) => r.path).join(', ');
      const question = `this publish removes ${diff.removed.length} setting(s) of ${namespace} version ${liveVersion}: ${list}. Publish anyway?`;
      const answer = await ctx.confirm(question);
      if (answer === false) {
        ctx.io.stderr.write(`epctl: nothing published (use 'epctl config set' or 'publish --merge' to change single settings)\n`);
        throw new DeclinedError();
      }
      if (answer === undefined && !ctx.json) {
        ctx.io.stderr.write(`warning: this publish removes ${diff.removed.length} setting(s): ${list}\n`);
      }
    }
    let result;
    try {
      result = await publish({
        ...nsOptions(cmd, namespace, client),
        document,
        baseVersion: liveVersion,
        author: opts.author ?? defaultAuthor(),
        message: opts.message,
        schema,
        useStoredSchema: opts.storedSchema,
      });
    } catch (error) {
      throw located(error);
    }
    ctx.emit(`published ${result.namespace} version ${result.version} (revision ${result.revision})\n${formatDiff(result.diff)}`, result);
  };
  const publishOptions = (command: Command): Command =>
    command
      .option('--base-version <n>', 'refuse unless this is still the live version (0: nothing published; default: the version read first)', intArg('--base-version'))
      .option('--author <name>', 'recorded author (default user@host)')
      .option('-m, --message <text>', 'recorded message', '')
      .option('--schema <file>', 'validate first: JSON Schema (.json/.yaml) or a module exporting a zod schema (.ts/.js)')
      .option('--no-stored-schema', "do not enforce the namespace's stored JSON Schema")
      .option('--dry-run', 'validate and show the changes against the live config; write nothing')
      .option('-y, --yes', 'do not ask before removing settings');

  publishOptions(
    config
      .command('publish')
      .description('publish a YAML or JSON file as the next version (one etcd transaction); says which settings it removes, and asks on a terminal')
      .argument('<namespace>', 'env/app, e.g. prod/greeter')
      .argument('<file>', 'config file (.yaml, .yml, .json; - for stdin)')
      .option('--merge', 'the file is a JSON Merge Patch (RFC 7396) applied to the live config: listed settings change, null removes, the rest stays'),
  ).action(async (namespace: string, file: string, opts: PublishFlags & { merge?: boolean }, cmd: Command) => {
    const source = loadDocumentSource(file);
    await publishNext(cmd, namespace, (live) => (opts.merge ? assertConfigDocument(mergePatch(live?.document ?? {}, source.document)) : source.document), opts, source);
  });

  publishOptions(
    config
      .command('set')
      .description('change single settings and publish the result as the next version; the other settings stay')
      .argument('<namespace>', 'env/app')
      .argument('<settings...>', "path=value, e.g. maxNameLength=10 or server/port=8080; the value is YAML (10 is a number, '\"10\"' a string); path=null removes"),
  ).action(async (namespace: string, settings: string[], opts: PublishFlags, cmd: Command) => {
    const patches = settings.map(parseSetting);
    await publishNext(cmd, namespace, (live) => assertConfigDocument(patches.reduce((doc, patch) => mergePatch(doc, patch), live?.document ?? {})), opts, undefined);
  });

  config
    .command('get')
    .description('print the live config (or one version) as YAML')
    .argument('<namespace>', 'env/app')
    .option('--version <n>', 'a version from the history instead of the live config', intArg('--version'))
    .option('--format <format>', 'yaml or json (document only; --json prints the full record)', 'yaml')
    .action(async (namespace: string, opts: { version?: number; format: string }, cmd: Command) => {
      const client = await ctx.connect(cmd);
      const print = (document: ConfigDocument): string => (opts.format === 'json' ? `${JSON.stringify(document, null, 2)}\n` : toYaml(document));
      if (opts.version !== undefined) {
        const v = await showVersion({ ...nsOptions(cmd, namespace, client), version: opts.version });
        if (!ctx.json) ctx.io.stderr.write(`# ${namespace} version ${v.version} (revision ${v.revision}) by ${v.author} at ${v.time}${v.message ? `: ${v.message}` : ''}\n`);
        ctx.emit(print(v.document), v);
        return;
      }
      const live = await getConfig(nsOptions(cmd, namespace, client));
      if (!ctx.json) {
        ctx.io.stderr.write(`# ${namespace} version ${live.version} (revision ${live.revision})${live.meta ? ` by ${live.meta.author} at ${live.meta.time}` : ''}\n`);
        if (live.drift) ctx.io.stderr.write(`warning: the live settings differ from version ${live.version}: they were written without epctl/publish\n`);
      }
      ctx.emit(print(live.document), live);
    });

  config
    .command('history')
    .description('list the versions, newest first')
    .argument('<namespace>', 'env/app')
    .option('--limit <n>', 'at most this many', intArg('--limit'))
    .action(async (namespace: string, opts: { limit?: number }, cmd: Command) => {
      const client = await ctx.connect(cmd);
      const versions = await listVersions({ ...nsOptions(cmd, namespace, client), limit: opts.limit });
      ctx.emit(formatHistory(versions), versions);
    });

  config
    .command('diff')
    .description('settings added, removed and changed from one version to another')
    .argument('<namespace>', 'env/app')
    .argument('<from>', 'older version', intArg('<from>'))
    .argument('<to>', 'newer version', intArg('<to>'))
    .action(async (namespace: string, from: number, to: number, _opts: unknown, cmd: Command) => {
      const client = await ctx.connect(cmd);
      const diff = await diffVersions({ ...nsOptions(cmd, namespace, client), from, to });
      ctx.emit(formatDiff(diff), { namespace, from, to, ...diff });
    });

  config
    .command('rollback')
    .description("re-publish an old version's document as a new version")
    .argument('<namespace>', 'env/app')
    .argument('<version>', 'the version to restore', intArg('<version>'))
    .option('--base-version <n>', 'refuse unless this is still the live version', intArg('--base-version'))
    .option('--author <name>', 'recorded author (default user@host)')
    .option('-m, --message <text>', 'recorded message (default "rollback to version N")')
    .option('--schema <file>', 'validate first (see publish)')
    .action(async (namespace: string, version: number, opts: { baseVersion?: number; author?: string; message?: string; schema?: string }, cmd: Command) => {
      const schema = opts.schema ? await loadSchema(opts.schema) : undefined;
      const client = await ctx.connect(cmd);
      const result = await rollback({
        ...nsOptions(cmd, namespace, client),
        version,
        baseVersion: opts.baseVersion,
        author: opts.author ?? defaultAuthor(),
        message: opts.message,
        schema,
      });
      ctx.emit(`rolled ${result.namespace} back to version ${version}: now version ${result.version} (revision ${result.revision})\n${formatDiff(result.diff)}`, result);
    });

  config
    .command('prune')
    .description('delete history records older than the newest N versions')
    .argument('<namespace>', 'env/app')
    .requiredOption('--keep <n>', 'versions to keep (>= 1)', intArg('--keep'))
    .action(async (namespace: string, opts: { keep: number }, cmd: Command) => {
      const client = await ctx.connect(cmd);
      const deleted = await pruneHistory({ ...nsOptions(cmd, namespace, client), keepVersions: opts.keep });
      ctx.emit(`deleted ${deleted} history record(s) of ${namespace}\n`, { namespace, deleted });
    });

  config
    .command('watch')
    .description('follow the config: print every applied change and every refused one, until interrupted')
    .argument('<namespace>', 'env/app')
    .option('--schema <file>', 'validate like a service would (default: any document)')
    .action(async (namespace: string, opts: { schema?: string }, cmd: Command) => {
      const schema = opts.schema ? await loadSchema(opts.schema) : z.record(z.string(), z.unknown());
      const client = await ctx.connect(cmd);
      const hot = watchConfig({
        ...nsOptions(cmd, namespace, client),
        schema,
        signal: ctx.io.stop,
        defaultValue: undefined,
        onError: (error) => {
          if (ctx.json) ctx.io.stdout.write(`${JSON.stringify({ type: 'error', error: errorJson(error) })}\n`);
          else ctx.io.stderr.write(errorText(error));
        },
      });
      const onStop = (): void => void hot.close();
      ctx.io.stop?.addEventListener('abort', onStop, { once: true });
      hot.subscribe((change) => {
        const by = change.meta ? ` by ${change.meta.author}${change.meta.message ? `: ${change.meta.message}` : ''}` : '';
        ctx.emit(
          `${change.previous === undefined ? 'current' : 'applied'}: version ${change.version} (revision ${change.revision}, ${change.source})${by}\n${change.previous === undefined ? toYaml(change.document) : formatDiff(change.diff)}`,
          { type: 'change', namespace, version: change.version, revision: change.revision, source: change.source, meta: change.meta, document: change.document, diff: change.diff },
        );
      });
      if (!ctx.json) ctx.io.stderr.write(`watching ${namespace} (Ctrl-C to stop)\n`);
      try {
        for await (const _change of hot) {
          // Printed by the subscriber; the loop waits for the end (close) or the failure.
        }
      } finally {
        ctx.io.stop?.removeEventListener('abort', onStop);
        await hot.close();
      }
      if (hot.status === 'failed' && hot.lastError) throw hot.lastError;
    });

  const schemaCmd = config.command('schema').description("a namespace's stored JSON Schema, enforced on every publish");
  schemaCmd
    .command('set')
    .argument('<namespace>', 'env/app')
    .argument('<file>', 'JSON Schema (.json or .yaml)')
    .action(async (namespace: string, file: string, _opts: unknown, cmd: Command) => {
      const schema = loadJsonSchemaFile(file);
      const client = await ctx.connect(cmd);
      await setStoredSchema({ ...nsOptions(cmd, namespace, client), schema });
      ctx.emit(`stored the schema of ${namespace}\n`, { namespace, stored: true });
    });
  schemaCmd
    .command('get')
    .argument('<namespace>', 'env/app')
    .action(async (namespace: string, _opts: unknown, cmd: Command) => {
      const client = await ctx.connect(cmd);
      const schema = await getStoredSchema(nsOptions(cmd, namespace, client));
      if (!schema) throw new ConfigError('CONFIG_NOT_FOUND', `no schema is stored for ${namespace}`);
      ctx.emit(`${JSON.stringify(schema, null, 2)}\n`, schema);
    });
  schemaCmd
    .command('delete')
    .argument('<namespace>', 'env/app')
    .action(async (namespace: string, _opts: unknown, cmd: Command) => {
      const client = await ctx.connect(cmd);
      await deleteStoredSchema(nsOptions(cmd, namespace, client));
      ctx.emit(`deleted the schema of ${namespace}\n`, { namespace, stored: false });
    });
}

function defaultAuthor(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return 'unknown';
  }
}

/** `path=value` as a one-setting merge patch (the value is read as YAML). */
function parseSetting(spec: string): ConfigDocument {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`${spec}: expected path=value`);
  const path = spec.slice(0, eq).split('/').map((segment) => {
    if (segment === '') throw new InvalidArgumentError(`${spec}: empty segment in the path`);
    return decodeSegment(segment);
  });
  const value = parseYamlOrJson(spec.slice(eq + 1), `value of ${spec.slice(0, eq)}`) ?? null;
  return settingPatch(path, value as JsonValue);
}
