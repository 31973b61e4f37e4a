import * as grpc from '@grpc/grpc-js';
import type { Registration, ServiceRegistry } from '@etcd-patterns/discovery';
import type { InstanceMetadata } from '@etcd-patterns/discovery';
import { setTimeout as sleep } from 'node:timers/promises';

/** Request and reply of the echo service (JSON on the wire: no proto needed for tests). */
export interface EchoMessage {
  readonly text?: string;
  /** Name of the server that answered. */
  readonly server?: string;
}

const json = {
  serialize: (value: EchoMessage): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): EchoMessage => JSON.parse(bytes.toString('utf8')) as EchoMessage,
};

/** A one-method gRPC service, `/testing.Echo/Echo`, for tests and benchmarks. */
export const echoServiceDefinition: grpc.ServiceDefinition = {
  echo: {
    path: '/testing.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};

/** grpc-js client class of the echo service. */
export const EchoClient = grpc.makeGenericClientConstructor(echoServiceDefinition, 'Echo');

/** One unary echo call. */
export function callEcho(client: grpc.Client, deadlineMs = 5000): Promise<EchoMessage> {
  type Echo = (req: EchoMessage, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: EchoMessage) => void) => void;
  const echo = (client as unknown as { echo: Echo }).echo.bind(client);
  return new Promise((resolve, reject) => {
    echo({ text: 'hi' }, { deadline: Date.now() + deadlineMs }, (error, reply) => (error ? reject(error) : resolve(reply!)));
  });
}

/** Options for {@link EchoServer.start}. */
export interface EchoServerOptions {
  /** Name returned in replies. */
  readonly name: string;
  /** Artificial latency per call, in ms. */
  readonly delayMs?: number;
  /** Registers the server here when given. */
  readonly registry?: ServiceRegistry;
  /** Service name to register as (default `echo`). */
  readonly service?: string;
  readonly metadata?: InstanceMetadata;
  /** Port to bind (default: one the OS picks). */
  readonly port?: number;
  /**
   * The first N calls send response headers and then fail with UNAVAILABLE: a reply cut off
   * half-way, which grpc-js's own retry policy does not repeat.
   */
  readonly failFirstAfterHeaders?: number;
}

/** A real grpc-js server on loopback that counts the calls it answered. */
export class EchoServer {
  private registration: Registration | undefined;

  private constructor(
    private readonly server: grpc.Server,
    /** `127.0.0.1:PORT`. */
    readonly address: string,
    readonly options: EchoServerOptions,
    private readonly counter: { calls: number; failWith?: grpc.status },
  ) {}

  /** While set, every call is answered at once with this status (and still counted). */
  get failWith(): grpc.status | undefined {
    return this.counter.failWith;
  }
  set failWith(code: grpc.status | undefined) {
    this.counter.failWith = code;
  }

  /** Calls answered (settable, to reset between phases of a test). */
  get calls(): number {
    return this.counter.calls;
  }
  set calls(value: number) {
    this.counter.calls = value;
  }

  /** Binds, starts, and registers when a registry is given. */
  static async start(options: EchoServerOptions): Promise<EchoServer> {
    const server = new grpc.Server();
    const counter: { calls: number; failWith?: grpc.status } = { calls: 0 };
    server.addService(echoServiceDefinition, {
      echo: (call: grpc.ServerUnaryCall<EchoMessage, EchoMessage>, callback: grpc.sendUnaryData<EchoMessage>) => {
        if (counter.failWith !== undefined) {
          counter.calls++;
          callback({ code: counter.failWith, details: `${options.name} is failing on purpose` });
          return;
        }
        const reply = (): void => {
          counter.calls++;
          if (counter.calls <= (options.failFirstAfterHeaders ?? 0)) {
            call.sendMetadata(new grpc.Metadata());
            callback({ code: grpc.status.UNAVAILABLE, details: 'cut off after the headers' });
            return;
          }
          callback(null, { text: call.request.text, server: options.name });
        };
        if (options.delayMs) setTimeout(reply, options.delayMs);
        else reply();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const instance = new EchoServer(server, `127.0.0.1:${port}`, options, counter);
    if (options.registry) {
      instance.registration = await options.registry.register({
        service: options.service ?? 'echo',
        address: instance.address,
        metadata: options.metadata,
      });
    }
    return instance;
  }

  /**
   * Graceful stop, the order a real service should use: deregister, give clients `drainMs`
   * to see it, then stop accepting and let in-flight calls finish.
   */
  async stop(drainMs = 300): Promise<void> {
    if (this.registration) {
      await this.registration.deregister();
      await sleep(drainMs);
    }
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  /** Abrupt stop: every connection is dropped, the registration is left behind. */
  forceStop(): void {
    this.server.forceShutdown();
  }
}
