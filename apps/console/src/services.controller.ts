import { Controller, Get, Inject } from '@nestjs/common';
import type { ServicesView } from '@etcd-patterns/console-contract';
import { ApiDoc } from './api-doc';
import { ConsoleState } from './console-state';
import type { ConsoleEnv } from './env';
import { servicesView } from './services-view';
import { CurrentSession } from './session.guard';
import type { ConsoleSession } from './session-store';
import { CONSOLE_ENV } from './tokens';

/** `GET /api/services`: registrations, malformed entries included. */
@Controller('api/services')
export class ServicesController {
  constructor(
    @Inject(ConsoleState) private readonly state: ConsoleState,
    @Inject(CONSOLE_ENV) private readonly env: ConsoleEnv,
  ) {}

  @Get()
  @ApiDoc({ tag: 'services', summary: 'Every registered instance with its lease TTL, and every malformed entry under the registry prefix', returns: 'ServicesView' })
  services(@CurrentSession() session: ConsoleSession): Promise<ServicesView> {
    return servicesView(session.client, this.env.CONSOLE_REGISTRY_PREFIX, this.state.servicesSeen);
  }
}
