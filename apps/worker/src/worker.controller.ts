import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { WORKER_SERVICE, type GetJobRequest__Output, type Job, type SubmitJobRequest__Output } from '@etcd-patterns/protos';
import { captureTraceContext } from '@etcd-patterns/telemetry';
import { newJob, submitJobSchema, toProtoJob } from './job-record';
import { JobStore } from './job-store';

/** `worker.v1.WorkerService`. */
@Controller()
export class WorkerController {
  constructor(@Inject(JobStore) private readonly store: JobStore) {}

  @GrpcMethod(WORKER_SERVICE, 'SubmitJob')
  async submitJob(request: SubmitJobRequest__Output): Promise<Job> {
    const parsed = submitJobSchema.safeParse(request);
    if (!parsed.success) {
      throw new RpcException({ code: status.INVALID_ARGUMENT, message: parsed.error.issues.map((i) => i.message).join('; ') });
    }
    const { id, names } = parsed.data;
    // The submitter's trace context is stored with the job: whichever replica processes it
    // continues the same trace.
    const { job, created } = await this.store.create(newJob(id, names, captureTraceContext()));
    if (!created && JSON.stringify(job.names) !== JSON.stringify(names)) {
      throw new RpcException({ code: status.ALREADY_EXISTS, message: `job ${id} exists with other names` });
    }
    return toProtoJob(job);
  }

  @GrpcMethod(WORKER_SERVICE, 'GetJob')
  async getJob(request: GetJobRequest__Output): Promise<Job> {
    const stored = request.id ? await this.store.get(request.id) : undefined;
    if (!stored) throw new RpcException({ code: status.NOT_FOUND, message: `no job ${request.id || '(empty id)'}` });
    return toProtoJob(stored.job);
  }
}
