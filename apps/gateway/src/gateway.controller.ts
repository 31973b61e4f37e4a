import { Controller, Get, Headers, HttpCode, Inject, NotFoundException, Param, Post, Query, Body, Res, UnprocessableEntityException } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { getConfig, isConfigError, listApplied, listVersions } from '@etcd-patterns/config';
import { listInstances } from '@etcd-patterns/discovery';
import type { Etcd3 } from '@etcd-patterns/etcd';
import { ETCD_CLIENT } from '@etcd-patterns/nest';
import type { Job__Output } from '@etcd-patterns/protos';
import { configView } from './config-view';
import { GrpcClients } from './grpc-clients';
import { isGrpcError } from './http-errors';
import { jobIdForIdempotencyKey } from './idempotency';
import { configParams, createJobBody, createJobHeaders, helloQuery, IDEMPOTENCY_KEY_HEADER, jobIdParam, parseInput, servicesQuery } from './validation';

/** Job as the HTTP API shows it. */
function jobView(job: Job__Output): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status.replace(/^JOB_STATUS_/, '').toLowerCase(),
    names: job.names,
    results: job.results,
    progress: { done: job.results.length, total: job.names.length },
    worker: job.worker || undefined,
    attempts: job.attempts,
    fencingToken: job.fencingToken || undefined,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    finishedAt: job.finishedAt || undefined,
    finishedBy: job.finishedBy || undefined,
  };
}

/** The public HTTP API. Inputs are validated with zod; errors are shaped by `ErrorFilter`. */
@Controller()
export class GatewayController {
  constructor(
    @Inject(GrpcClients) private readonly grpc: GrpcClients,
    @Inject(ETCD_CLIENT) private readonly etcd: Etcd3,
  ) {}

  /** A greeting from one greeter replica (balanced through `etcd:///greeter`). */
  @Get('hello')
  async hello(@Query() query: unknown): Promise<Record<string, unknown>> {
    const { name } = parseInput(helloQuery, query);
    const reply = await this.grpc.sayHello({ name });
    return { message: reply.message, instance: reply.instance, version: reply.version, zone: reply.zone, configVersion: reply.configVersion };
  }

  /**
   * Queues a job "greet these names"; 202 with the job and its `Location`. With an
   * `Idempotency-Key` header the job id is derived from the key, so a retry (even a concurrent
   * one) gets the same job and the same 202; the same key with other names is a 422.
   */
  @Post('jobs')
  @HttpCode(202)
  async createJob(
    @Body() body: unknown,
    @Headers() headers: unknown,
    @Res({ passthrough: true }) res: { setHeader(name: string, value: string): void },
  ): Promise<Record<string, unknown>> {
    const { names } = parseInput(createJobBody, body);
    const { [IDEMPOTENCY_KEY_HEADER]: key } = parseInput(createJobHeaders, headers);
    const id = key === undefined ? randomUUID() : jobIdForIdempotencyKey(key);
    const job = await this.grpc.submitJob({ id, names }).catch((error: unknown) => {
      // The worker creates the job only if the id is free and answers ALREADY_EXISTS when the
      // stored job has other names: the key was used for another submission.
      if (key !== undefined && isGrpcError(error) && error.code === GrpcStatus.ALREADY_EXISTS) {
        throw new UnprocessableEntityException(`Idempotency-Key "${key}" was already used for job ${id} with other names; use a new key for a new job`);
      }
      throw error;
    });
    res.setHeader('Location', `/jobs/${job.id}`);
    return jobView(job);
  }

  @Get('jobs/:id')
  async getJob(@Param() params: unknown): Promise<Record<string, unknown>> {
    const { id } = parseInput(jobIdParam, params);
    return jobView(await this.grpc.getJob({ id }));
  }

  /** Live registry view: every instance with its metadata and remaining lease TTL. */
  @Get('services')
  async services(@Query() query: unknown): Promise<Record<string, unknown>> {
    const { service } = parseInput(servicesQuery, query);
    const inventory = await listInstances({ client: this.etcd, service });
    const services: Record<string, unknown[]> = {};
    for (const i of inventory.instances) {
      (services[i.service] ??= []).push({
        address: i.address,
        metadata: i.metadata,
        lease: i.lease,
        ttlSeconds: i.ttlSeconds,
        grantedTtlSeconds: i.grantedTtlSeconds,
        registeredAtRevision: i.createRevision,
      });
    }
    return { revision: inventory.revision, services, invalid: inventory.invalid.map((e) => e.message) };
  }

  /** Current values, version history, and what each replica applied (see `configView`). */
  @Get('config/:env/:app')
  async config(@Param() params: unknown): Promise<Record<string, unknown>> {
    const { env, app } = parseInput(configParams, params);
    const namespace = `${env}/${app}`;
    const [live, versions, applied] = await Promise.all([
      getConfig({ client: this.etcd, namespace }),
      listVersions({ client: this.etcd, namespace, limit: 20 }),
      listApplied({ client: this.etcd, namespace }),
    ]).catch((error: unknown) => {
      if (isConfigError(error, 'CONFIG_NOT_FOUND')) throw new NotFoundException(`no config in namespace ${namespace}`);
      throw error;
    });
    return configView(namespace, live, versions, applied);
  }
}
