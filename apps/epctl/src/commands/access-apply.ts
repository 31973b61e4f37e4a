// `epctl access apply FILE`: declarative etcd users, roles and permissions.
import {
  AccessFileError,
  applyAccessPlan,
  formatAccessPlan,
  isAuthEnabled,
  parseAccessFile,
  planAccess,
  readAccessState,
  type AccessSpec,
} from '@etcd-patterns/config';
import { createEtcdClient, isEtcdPatternsError, resolveClientOptions, type Etcd3 } from '@etcd-patterns/etcd';
import { InvalidArgumentError, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfigError } from '@etcd-patterns/config';
import type { EpctlContext } from '../context';
import { DeclinedError } from '../declined-error';
import { parseYamlOrJson } from '../load-file';

interface ApplyFlags {
  dryRun?: boolean;
  prune?: boolean;
  yes?: boolean;
  enableAuth?: boolean;
}

/** Registers `epctl access apply FILE` on the `access` command. */
export function registerAccessApply(access: Command, ctx: EpctlContext): void {
  access
    .command('apply')
    .description('make etcd users, roles and permissions match a YAML file: prints the plan, then applies it')
    .argument('<file>', 'access file (YAML or JSON); see deploy/access.yaml')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--prune', 'also remove users, roles, permissions and role grants the file does not list (never root)')
    .option('-y, --yes', 'apply without asking (scripts); on a terminal epctl asks first')
    .option('--enable-auth', 'enable auth after applying (as `auth: enabled` in the file)')
    .addHelpText(
      'after',
      `
Passwords come from each user's passwordFile and are never printed. epctl's own login may use
ETCD_PASSWORD_FILE. On a cluster with auth still disabled, give the root user's passwordFile and
'auth: enabled' to bootstrap root and enable auth in one run. Refused (exit 3): enabling auth
without root's password, removing or demoting root, or the user applying the file.`,
    )
    .action(async (file: string, flags: ApplyFlags, cmd: Command) => {
      const parsed = loadAccessFile(file);
      const spec: AccessSpec = flags.enableAuth ? { ...parsed, auth: 'enabled' } : parsed;
      const { client, caller } = await connectForAccess(ctx, cmd);
      try {
        const state = await readAccessState(client, await isAuthEnabled(client));
        const plan = await planAccess(client, spec, state, { prune: flags.prune, caller });
        const human = formatAccessPlan(plan);
        if (plan.empty || flags.dryRun) {
          ctx.emit(`${human}${flags.dryRun && !plan.empty ? 'dry run: nothing was changed\n' : ''}`, { ...plan.toJSON(), applied: false, dryRun: Boolean(flags.dryRun) });
          return;
        }
        if (!ctx.json) ctx.io.stdout.write(human);
        if (!flags.yes) {
          const answer = await ctx.confirm(`Apply these ${plan.changes.length} changes to etcd?`);
          if (answer === undefined) throw new InvalidArgumentError('not applied: pass --yes to apply without a terminal to confirm on');
          if (!answer) {
            ctx.io.stderr.write('not applied: nothing was changed\n');
            throw new DeclinedError('declined');
          }
        }
        await applyAccessPlan(client, plan);
        ctx.emit(`applied ${plan.changes.length} changes\n`, { ...plan.toJSON(), applied: true, dryRun: false });
      } finally {
        client.close();
      }
    });
}

/**
 * Connects with epctl's credentials; on a cluster whose auth is still disabled (etcd refuses
 * the login), connects again without them, so a first run can bootstrap root.
 */
async function connectForAccess(ctx: EpctlContext, cmd: Command): Promise<{ client: Etcd3; caller: string | undefined }> {
  const options = ctx.clientOptions(cmd);
  const caller = resolveClientOptions(options).auth?.username;
  try {
    return { client: await createEtcdClient(options), caller };
  } catch (error) {
    if (!isEtcdPatternsError(error, 'ETCD_AUTH_NOT_ENABLED')) throw error;
  }
  const env = { ...process.env };
  for (const k of ['ETCD_USERNAME', 'ETCD_PASSWORD', 'ETCD_PASSWORD_FILE']) delete env[k];
  return { client: await createEtcdClient({ ...options, username: undefined, password: undefined, passwordFile: undefined, env }), caller: undefined };
}

/**
 * Reads and validates an access file; schema issues name `file:line:column`.
 * @throws {ConfigError} `CONFIG_INVALID_DOCUMENT`.
 */
export function loadAccessFile(path: string): AccessSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('CONFIG_INVALID_DOCUMENT', `cannot read the access file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  }
  const value = parseYamlOrJson(text, path);
  try {
    return parseAccessFile(value, path);
  } catch (error) {
    if (!(error instanceof AccessFileError)) throw error;
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines });
    const located = error.issues.map((i) => {
      const { line, col } = lines.linePos(nodeAt(doc.contents, i.path)?.range?.[0] ?? 0);
      return `${path}:${line}:${col}: ${i.path.join('.') || '(top)'}: ${i.message}`;
    });
    throw new AccessFileError(error.issues, located.join('\n'));
  }
}

// The deepest node along `path` (the value when present, else its closest parent).
function nodeAt(root: unknown, path: ReadonlyArray<string | number>): Node | undefined {
  let node = root;
  let found = root as Node | undefined;
  for (const segment of path) {
    if (!(isMap(node) || isSeq(node))) break;
    const next = node.get(segment, true) as unknown;
    if (next === undefined) {
      // For an unknown key, point at the key itself.
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === segment);
        if (pair?.key) found = pair.key as Node;
      }
      break;
    }
    node = next;
    found = next as Node;
  }
  return found;
}
