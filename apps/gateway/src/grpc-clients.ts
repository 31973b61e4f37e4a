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
  WORKER_PACKAGE,
  WORKER_PROTO,
  WORKER_SERVICE,
  type GetJobRequest,
  type Job__Output,
  type SayHelloRequest,
  type SayHelloResponse__Output,
  type SubmitJobRequest,
} from '@etcd-patterns/protos';
import type { Logger } from 'pino';
import type { GatewayEnv } from './env';
import { GATEWAY_ENV, LOGGER } from './tokens';

type Unary<Req, Res> = (request: Req, metadata: Metadata, options: { deadline: number }) => Observable<Res>;

interface GreeterRpc {
  sayHello: Unary<SayHelloRequest, SayHelloResponse__Output>;
}
interface WorkerRpc {
  submitJob: Unary<SubmitJobRequest, Job__Output>;
  getJob: Unary<GetJobRequest, Job__Output>;
}

/**
 * The gateway's gRPC clients: NestJS gRPC clients on `etcd:///greeter` and `etcd:///worker`,
 * resolved from the etcd registry and balanced by `@etcd-patterns/lb-resolver`. Calls that fail
 * with UNAVAILABLE (a replica draining or killed) are retried on another replica by the
 * channel's service config; every call has a deadline.
 */
@Injectable()
export class GrpcClients implements OnApplicationShutdown {
  private readonly proxies: ClientGrpcProxy[] = [];
  private readonly greeter: GreeterRpc;
  private readonly worker: WorkerRpc;

  constructor(
    @Inject(ETCD_CLIENT) client: Etcd3,
    @Inject(GATEWAY_ENV) private readonly env: GatewayEnv,
    @Inject(LOGGER) log: Logger,
  ) {
    // Before the first channel: an unregistered scheme silently falls back to DNS.
    installEtcdBalancing({ client, onError: (target, error) => log.warn({ target, code: error.code, err: error }, 'resolver error') });
    // SayHello is read-only, so calls cut off by a dying greeter are repeated too.
    const channelOptions = etcdChannelOptions({ policy: env.LB_POLICY, zone: env.GATEWAY_ZONE, retry: 'all', idempotent: ['greeter.v1.GreeterService'] });
    // TLS to the services when GRPC_TLS_CA_FILE is set (each server certificate names its service).
    const credentials = grpcChannelCredentials({ caFile: env.GRPC_TLS_CA_FILE });
    const loader = { ...PROTO_LOADER_OPTIONS, includeDirs: [...PROTO_LOADER_OPTIONS.includeDirs] };
    const greeter = ClientProxyFactory.create({
      transport: Transport.GRPC,
      options: { url: env.GREETER_TARGET, package: GREETER_PACKAGE, protoPath: GREETER_PROTO, loader, channelOptions, credentials },
    }) as ClientGrpcProxy;
    // Every worker method is idempotent (SubmitJob carries a caller-chosen id), so retrying
    // all of them on UNAVAILABLE is safe.
    const worker = ClientProxyFactory.create({
      transport: Transport.GRPC,
      options: { url: env.WORKER_TARGET, package: WORKER_PACKAGE, protoPath: WORKER_PROTO, loader, channelOptions, credentials },
    }) as ClientGrpcProxy;
    this.proxies.push(greeter, worker);
    this.greeter = greeter.getService<GreeterRpc>(GREETER_SERVICE);
    this.worker = worker.getService<WorkerRpc>(WORKER_SERVICE);
  }

  sayHello(request: SayHelloRequest): Promise<SayHelloResponse__Output> {
    return lastValueFrom(this.greeter.sayHello(request, new Metadata(), this.callOptions()));
  }

  submitJob(request: SubmitJobRequest): Promise<Job__Output> {
    return lastValueFrom(this.worker.submitJob(request, new Metadata(), this.callOptions()));
  }

  getJob(request: GetJobRequest): Promise<Job__Output> {
    return lastValueFrom(this.worker.getJob(request, new Metadata(), this.callOptions()));
  }

  onApplicationShutdown(): void {
    for (const proxy of this.proxies) proxy.close();
  }

  private callOptions(): { deadline: number } {
    return { deadline: Date.now() + this.env.GRPC_DEADLINE_MS };
  }
}
