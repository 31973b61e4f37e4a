import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import type { HotConfig } from '@etcd-patterns/config';
import { InjectHotConfig } from '@etcd-patterns/nest';
import { GREETER_SERVICE, type SayHelloRequest__Output, type SayHelloResponse } from '@etcd-patterns/protos';
import { GREETER_ENV } from './tokens';
import type { GreeterEnv } from './env';
import { checkName, renderGreeting, type GreetingConfig } from './greeting';

/** `greeter.v1.GreeterService`. */
@Controller()
export class GreeterController {
  constructor(
    @InjectHotConfig() private readonly config: HotConfig<GreetingConfig>,
    @Inject(GREETER_ENV) private readonly env: GreeterEnv,
  ) {}

  @GrpcMethod(GREETER_SERVICE, 'SayHello')
  sayHello(request: SayHelloRequest__Output): SayHelloResponse {
    const config = this.config.current; // read per call: a publish applies to the next call
    const problem = checkName(request.name, config.maxNameLength);
    if (problem) throw new RpcException({ code: status.INVALID_ARGUMENT, message: problem });
    return {
      message: renderGreeting(config.template, { name: request.name.trim(), instance: this.env.INSTANCE_NAME }),
      instance: this.env.INSTANCE_NAME,
      version: this.env.GREETER_VERSION,
      zone: this.env.GREETER_ZONE,
      configVersion: this.config.version,
    };
  }
}
