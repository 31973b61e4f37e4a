import { Controller, Get, Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Etcd3 } from '@etcd-patterns/etcd';
import { ETCD_CLIENT } from '@etcd-patterns/nest';
import { alarms, ClusterOps, clusterStatus, members } from '@etcd-patterns/ops';
import type { GatewayEnv } from './env';
import { GATEWAY_ENV } from './tokens';

/** The gateway's {@link ClusterOps} over its etcd client; closes its per-endpoint clients on shutdown. */
@Injectable()
export class GatewayClusterOps implements OnApplicationShutdown {
  /** The operations connection. */
  readonly ops: ClusterOps;

  constructor(@Inject(ETCD_CLIENT) etcd: Etcd3, @Inject(GATEWAY_ENV) env: GatewayEnv) {
    this.ops = ClusterOps.fromClient(etcd, { endpoints: env.ETCD_ENDPOINTS.split(',').map((e) => e.trim()) });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ops.close();
  }
}

/**
 * Read-only cluster view for dashboards and on-call: the same data as `epctl cluster status`,
 * `members` and `alarms`. Nothing here changes the cluster: the gateway has no sign-in, so
 * maintenance (defrag, compact, member changes) stays with epctl and the console, where etcd's
 * own credentials decide.
 */
@Controller('admin')
export class AdminController {
  constructor(@Inject(GatewayClusterOps) private readonly cluster: GatewayClusterOps) {}

  /**
   * `GET /admin/cluster`: every endpoint's status (an unreachable one is a row with
   * `ok: false`), the members and the active alarms; `healthy` when every endpoint answered
   * and no alarm is raised. Always 200 while the gateway runs; the body says what is wrong.
   */
  @Get('cluster')
  async clusterView(): Promise<Record<string, unknown>> {
    const { ops } = this.cluster;
    const [endpoints, memberList, active] = await Promise.all([
      clusterStatus(ops),
      members(ops).catch((e: unknown) => ({ error: String((e as Error).message) })),
      alarms(ops).catch((e: unknown) => ({ error: String((e as Error).message) })),
    ]);
    const healthy = endpoints.every((e) => e.ok) && Array.isArray(active) && active.length === 0;
    return { healthy, endpoints, members: memberList, alarms: active };
  }
}
