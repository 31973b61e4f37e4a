import 'reflect-metadata';
import { status } from '@grpc/grpc-js';
import { createTestHotConfig } from '@etcd-patterns/config';
import { RpcException } from '@nestjs/microservices';
import { parseGreeterEnv } from './env';
import { GreeterController } from './greeter.controller';
import type { GreetingConfig } from './greeting';

describe('GreeterController', () => {
  const env = parseGreeterEnv({ ETCD_ENDPOINTS: '127.0.0.1:2379', INSTANCE_NAME: 'g1', GREETER_ZONE: 'zone-a', GREETER_VERSION: '1.2.3' });

  it('greets from the current template, per call, and names the instance', () => {
    const config = createTestHotConfig<GreetingConfig>({ template: 'Hello, {name}!', maxNameLength: 5 });
    const controller = new GreeterController(config, env);
    expect(controller.sayHello({ name: ' Ada ' })).toEqual({ message: 'Hello, Ada!', instance: 'g1', version: '1.2.3', zone: 'zone-a', configVersion: 1 });
    config.set({ template: 'Ahoy {name} from {instance}', maxNameLength: 5 });
    expect(controller.sayHello({ name: 'Ada' })).toMatchObject({ message: 'Ahoy Ada from g1', configVersion: 2 });
  });

  it('answers INVALID_ARGUMENT for a bad name', () => {
    const controller = new GreeterController(createTestHotConfig<GreetingConfig>({ template: '{name}', maxNameLength: 3 }), env);
    for (const name of ['', 'Grace']) {
      let thrown: unknown;
      try {
        controller.sayHello({ name });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(RpcException);
      expect((thrown as RpcException).getError()).toMatchObject({ code: status.INVALID_ARGUMENT });
    }
  });
});
