import { createEtcdClient, type Etcd3 } from '@etcd-patterns/etcd';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { registerAccessCommands } from './commands/access';
import { registerClusterCommands } from './commands/cluster';
import { registerConfigCommands } from './commands/config';
import type { EpctlCommandGroup, EpctlContext, EpctlGlobalOptions, EpctlIo } from './context';
import { DeclinedError } from './declined-error';
import { EXIT, EXIT_CODES_HELP, exitCodeOf } from './exit-codes';
import { errorJson, errorText } from './format';

/** The command groups, in the order `epctl --help` lists them. */
const COMMAND_GROUPS: readonly EpctlCommandGroup[] = [registerConfigCommands, registerAccessCommands, registerClusterCommands];

/**
 * Runs epctl with `argv` (without the node and script entries) and resolves with the exit
 * code. Never throws: errors are printed (as JSON with `--json`) and mapped to exit codes
 * (see `EXIT`). Every etcd client a command opened is closed before it resolves.
 */
export async function runEpctl(argv: readonly string[], io: EpctlIo): Promise<number> {
  const clients: Etcd3[] = [];
  let json = false;
  const globals = (cmd: Command): EpctlGlobalOptions => cmd.optsWithGlobals() as EpctlGlobalOptions;
  const ctx: EpctlContext = {
    io,
    get json() {
      return json;
    },
    globals,
    clientOptions: (cmd) => {
      const g = globals(cmd);
      let username = g.user;
      let password = g.password;
      if (username?.includes(':') && password === undefined) {
        password = username.slice(username.indexOf(':') + 1);
        username = username.slice(0, username.indexOf(':'));
      }
      return { endpoints: g.endpoints?.split(',').map((e) => e.trim()).filter(Boolean), username, password };
    },
    connect: async (cmd) => {
      const client = await createEtcdClient(ctx.clientOptions(cmd));
      clients.push(client);
      return client;
    },
    emit: (human, data) => void io.stdout.write(json ? `${JSON.stringify(data)}\n` : human),
    confirm: async (question) => (io.confirm ? io.confirm(question) : undefined),
  };

  const program = new Command('epctl')
    .description('etcd-patterns control: configuration center (publish, history, rollback, hot watch), access control and cluster operations')
    .addOption(new Option('--endpoints <list>', 'comma-separated etcd endpoints (env ETCD_ENDPOINTS, default 127.0.0.1:2379)'))
    .addOption(new Option('--user <name[:password]>', 'etcd user (env ETCD_USERNAME)'))
    .addOption(new Option('--password <password>', 'etcd password (env ETCD_PASSWORD)'))
    .addOption(new Option('--root <prefix>', 'config root prefix').default('/config'))
    .option('--json', 'machine-readable JSON output (errors too, on stderr)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .hook('preAction', (_this, action) => {
      json = Boolean(globals(action).json);
    });
  for (const register of COMMAND_GROUPS) register(program, ctx);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    // An action's own InvalidArgumentError (a CommanderError too) was not printed by commander.
    if (error instanceof InvalidArgumentError) {
      io.stderr.write(json ? `${JSON.stringify({ error: { code: 'USAGE', message: error.message } })}\n` : `epctl: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof DeclinedError) return EXIT.declined;
    io.stderr.write(json ? `${JSON.stringify({ error: errorJson(error) })}\n` : errorText(error));
    return exitCodeOf(error);
  } finally {
    for (const c of clients) c.close();
  }
}
