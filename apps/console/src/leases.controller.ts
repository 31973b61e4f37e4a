import { Controller, Delete, Get, HttpCode, Inject, Param } from '@nestjs/common';
import type { LeasesView } from '@etcd-patterns/console-contract';
import { ApiDoc } from './api-doc';
import type { ConsoleEnv } from './env';
import { leasesView, revokeLease } from './leases-view';
import { CurrentSession } from './session.guard';
import type { ConsoleSession } from './session-store';
import { CONSOLE_ENV } from './tokens';
import { leaseParams, parseInput } from './validation';

/** `/api/leases`. */
@Controller('api/leases')
export class LeasesController {
  constructor(@Inject(CONSOLE_ENV) private readonly env: ConsoleEnv) {}

  @Get()
  @ApiDoc({ tag: 'leases', summary: 'Every lease with TTL and keys, owners classified by key layout', returns: 'LeasesView' })
  leases(@CurrentSession() session: ConsoleSession): Promise<LeasesView> {
    return leasesView(session.client, { registryPrefix: this.env.CONSOLE_REGISTRY_PREFIX, configRoot: this.env.CONSOLE_CONFIG_ROOT });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiDoc({ tag: 'leases', summary: 'Revoke a lease (its keys are deleted); 404 unknown', status: 204 })
  async revoke(@Param() params: unknown, @CurrentSession() session: ConsoleSession): Promise<void> {
    await revokeLease(session.client, parseInput(leaseParams, params).id);
  }
}
