import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appCommand, REPO_ROOT } from './app-process';

describe('appCommand', () => {
  it.each(['gateway', 'greeter', 'worker'] as const)('runs %s with node, tsx as a loader and telemetry first', (app) => {
    const { command, args, env } = appCommand(app);
    expect(command).toBe(process.execPath); // not the tsx wrapper, which cannot forward SIGKILL
    expect(args).toEqual(['--import', 'tsx', '--import', './libs/telemetry/src/register.ts', join('apps', app, 'src', 'main.ts')]);
    expect(existsSync(join(REPO_ROOT, args[4]!))).toBe(true);
    expect(existsSync(join(REPO_ROOT, args[3]!))).toBe(true);
    expect(existsSync(join(REPO_ROOT, env['TSX_TSCONFIG_PATH']!))).toBe(true);
  });
});
