/**
 * The gRPC contracts of the reference apps. The `.proto` files are the source of truth; the
 * types under `generated/` come from `tools/scripts/gen-protos.sh` (never edited by hand) and
 * are type-only, so the apps need nothing generated at run time: they load the `.proto` files
 * with {@link PROTO_LOADER_OPTIONS}, which match the generator's flags.
 */
import { join } from 'node:path';

/** Directory holding the versioned packages (`greeter/v1`, `worker/v1`). */
export const PROTO_ROOT = __dirname;

/** `protos/greeter/v1/greeter.proto`, absolute. */
export const GREETER_PROTO = join(PROTO_ROOT, 'greeter/v1/greeter.proto');
/** `protos/worker/v1/worker.proto`, absolute. */
export const WORKER_PROTO = join(PROTO_ROOT, 'worker/v1/worker.proto');

/** Package and service names, as clients and servers must spell them. */
export const GREETER_PACKAGE = 'greeter.v1';
export const GREETER_SERVICE = 'GreeterService';
export const WORKER_PACKAGE = 'worker.v1';
export const WORKER_SERVICE = 'WorkerService';

/**
 * `@grpc/proto-loader` options used at run time. They must match the generator flags
 * (`--longs=Number --enums=String --defaults --oneofs`), or the generated types lie.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
} as const;

export type { SayHelloRequest, SayHelloRequest__Output } from './generated/greeter/v1/SayHelloRequest';
export type { SayHelloResponse, SayHelloResponse__Output } from './generated/greeter/v1/SayHelloResponse';
export type { GreeterServiceClient, GreeterServiceHandlers } from './generated/greeter/v1/GreeterService';
export type { SubmitJobRequest, SubmitJobRequest__Output } from './generated/worker/v1/SubmitJobRequest';
export type { GetJobRequest, GetJobRequest__Output } from './generated/worker/v1/GetJobRequest';
export type { Job, Job__Output } from './generated/worker/v1/Job';
export type { JobStatus, JobStatus__Output } from './generated/worker/v1/JobStatus';
export type { WorkerServiceClient, WorkerServiceHandlers } from './generated/worker/v1/WorkerService';
