import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './app-process';
import { demoNetworkEnv } from './demo-env';

describe('demoNetworkEnv', () => {
  it('binds and advertises loopback by default', () => {
    expect(demoNetworkEnv()).toEqual({
      GATEWAY_HOST: '127.0.0.1',
      GREETER_HOST: '127.0.0.1',
      GREETER_ADVERTISE_HOST: '127.0.0.1',
      WORKER_HOST: '127.0.0.1',
      WORKER_ADVERTISE_HOST: '127.0.0.1',
    });
  });

  it('binds another interface on request, advertising what the apps can dial', () => {
    expect(demoNetworkEnv('0.0.0.0')).toMatchObject({ GATEWAY_HOST: '0.0.0.0', GREETER_HOST: '0.0.0.0', GREETER_ADVERTISE_HOST: '127.0.0.1', WORKER_ADVERTISE_HOST: '127.0.0.1' });
    expect(demoNetworkEnv('192.168.1.5')).toMatchObject({ WORKER_HOST: '192.168.1.5', WORKER_ADVERTISE_HOST: '192.168.1.5' });
  });

  it('sets only variables the apps read (their env schemas, read as text: a tool cannot import an app)', () => {
    for (const name of Object.keys(demoNetworkEnv())) {
      const app = name.split('_')[0]!.toLowerCase();
      expect({ name, declared: readFileSync(join(REPO_ROOT, 'apps', app, 'src', 'env.ts'), 'utf8').includes(`  ${name}: `) }).toEqual({ name, declared: true });
    }
  });

  it('is what the demo passes to every app', () => {
    const main = readFileSync(join(REPO_ROOT, 'tools', 'demo', 'src', 'main.ts'), 'utf8');
    expect(main).toMatch(/const base = \{ \.\.\.demoNetworkEnv\(/);
  });
});
