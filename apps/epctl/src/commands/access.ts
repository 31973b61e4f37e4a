// `epctl access ...`: etcd access control.
import { setupConfigAccess, type AppAccess } from '@etcd-patterns/config';
import { InvalidArgumentError, type Command } from 'commander';
import type { EpctlContext } from '../context';
import { registerAccessApply } from './access-apply';

/** Registers `epctl access ...` on the root program. */
export function registerAccessCommands(program: Command, ctx: EpctlContext): void {
  const access = program.command('access').description('etcd access control');
  registerAccessApply(access, ctx);
  access
    .command('setup')
    .description('enable etcd auth; per app a user that reads only its config and writes only its registry prefix')
    .option('--app <env/app=password>', 'an app user to create or update (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--root-password <password>', 'password for the root user if it must be created')
    .option('--registry-prefix <template>', 'registry prefix per app; {app} and {env} are replaced', '/services/{app}/')
    .option('--no-enable', 'create users and roles but leave auth as it is')
    .action(async (opts: { app: string[]; rootPassword?: string; registryPrefix: string; enable: boolean }, cmd: Command) => {
      const apps: AppAccess[] = opts.app.map((spec) => {
        const m = /^([^/=]+)\/([^/=]+)=(.*)$/.exec(spec);
        if (!m) throw new InvalidArgumentError(`--app ${spec}: expected env/app=password`);
        const [, env, app, password] = m as unknown as [string, string, string, string];
        return { env, app, password, registryPrefix: opts.registryPrefix.replace(/\{app\}/g, app).replace(/\{env\}/g, env) };
      });
      const client = await ctx.connect(cmd);
      const results = await setupConfigAccess({ client, apps, rootPassword: opts.rootPassword, root: ctx.globals(cmd).root, enableAuth: opts.enable });
      ctx.emit(
        `${results.map((r) => `user ${r.user}: read ${r.read.join(', ')}; readwrite ${r.readWrite.join(', ')}`).join('\n')}${results.length ? '\n' : ''}${opts.enable ? 'etcd auth is enabled\n' : ''}`,
        { users: results, authEnabled: opts.enable },
      );
    });
}
