import { Controller, Get, Inject, Injectable, ServiceUnavailableException, type BeforeApplicationShutdown } from '@nestjs/common';
import type { Etcd3 } from '@etcd-patterns/etcd';
import { ETCD_CLIENT } from '@etcd-patterns/nest';

/** Flips to "not ready" when shutdown starts, so load balancers stop sending traffic. */
@Injectable()
export class Readiness implements BeforeApplicationShutdown {
  stopping = false;
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }
}

/** `/healthz` (the process is up) and `/readyz` (etcd answers and not shutting down). */
@Controller()
export class HealthController {
  constructor(
    @Inject(ETCD_CLIENT) private readonly etcd: Etcd3,
    @Inject(Readiness) private readonly readiness: Readiness,
  ) {}

  @Get('healthz')
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(): Promise<{ status: 'ready'; checks: { etcd: 'up' } }> {
    if (this.readiness.stopping) throw new ServiceUnavailableException('shutting down');
    try {
      await this.etcd.maintenance.status({ deadline: Date.now() + 1000 });
    } catch {
      throw new ServiceUnavailableException('etcd is not reachable');
    }
    return { status: 'ready', checks: { etcd: 'up' } };
  }
}
