import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientGrpcProxy } from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import { lastValueFrom, type Observable } from 'rxjs';
import type { Etcd3 } from '@etcd-patterns/etcd';
import { etcdChannelOptions, grpcChannelCredentials, installEtcdBalancing } from '@etcd-patterns/lb-resolver';
import { ETCD_CLIENT } from '@etcd-patterns/nest';
import {
  GREETER_PACKAGE,
  GREETER_PROTO,
  GREETER_SERVICE,
  PROTO_LOADER_OPTIONS,
  type SayHelloRequest,
  type SayHelloResponse__Output,
} from '@etcd-patterns/protos';
import type { Logger } from 'pino';
import type { WorkerEnv } from './env';
import { LOGGER, WORKER_ENV } from './tokens';

interface GreeterRpc {
  sayHello(request: SayHelloRequest, metadata: Metadata, options: { deadline: number }): Observable<SayHelloResponse__Output>;
}

/**
 * NestJS gRPC client of `etcd:///greeter`, resolved from the etcd registry and balanced by
 * `@etcd-patterns/lb-resolver`; UNAVAILABLE (a greeter draining or killed) is retried on
 * another replica by the channel's service config.
 */
@Injectable()
export class GreeterClient implements OnApplicationShutdown {
  private readonly proxy: ClientGrpcProxy;
  private readonly service: GreeterRpc;

  constructor(
    @Inject(ETCD_CLIENT) client: Etcd3,
    @Inject(WORKER_ENV) private readonly env: WorkerEnv,
    @Inject(LOGGER) log: Logger,
  ) {
    // Before the first channel: an unregistered scheme silently falls back to DNS.
    installEtcdBalancing({ client, onError: (target, error) => log.warn({ target, code: error.code, err: error }, 'resolver error') });
    this.proxy = ClientProxyFactory.create({
      transport: Transport.GRPC,
      options: {
        url: env.GREETER_TARGET,
        package: GREETER_PACKAGE,
        protoPath: GREETER_PROTO,
        loader: { ...PROTO_LOADER_OPTIONS, includeDirs: [...PROTO_LOADER_OPTIONS.includeDirs] },
        credentials: grpcChannelCredentials({ caFile: env.GRPC_TLS_CA_FILE }),
        channelOptions: etcdChannelOptions({ policy: env.LB_POLICY, zone: env.WORKER_ZONE, retry: 'all', idempotent: ['greeter.v1.GreeterService'] }),
      },
    }) as ClientGrpcProxy;
    this.service = this.proxy.getService<GreeterRpc>(GREETER_SERVICE);
  }

  sayHello(name: string): Promise<SayHelloResponse__Output> {
    return lastValueFrom(this.service.sayHello({ name }, new Metadata(), { deadline: Date.now() + this.env.GRPC_DEADLINE_MS }));
  }

  onApplicationShutdown(): void {
    this.proxy.close();
  }
}
