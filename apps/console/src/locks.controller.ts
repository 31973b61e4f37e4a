import { Controller, Get, Inject } from '@nestjs/common';
import type { LocksView } from '@etcd-patterns/console-contract';
import { ApiDoc } from './api-doc';
import { ConsoleState } from './console-state';
import type { ConsoleEnv } from './env';
import { locksView } from './locks-view';
import { CurrentSession } from './session.guard';
import type { ConsoleSession } from './session-store';
import { CONSOLE_ENV } from './tokens';

/** `GET /api/locks`. */
@Controller('api/locks')
export class LocksController {
  constructor(
    @Inject(ConsoleState) private readonly state: ConsoleState,
    @Inject(CONSOLE_ENV) private readonly env: ConsoleEnv,
  ) {}

  @Get()
  @ApiDoc({ tag: 'locks', summary: 'Locks and elections (owner keys <name>/<lease hex>) with holder/leader and waiters in queue order', returns: 'LocksView' })
  locks(@CurrentSession() session: ConsoleSession): Promise<LocksView> {
    return locksView(session.client, this.env.CONSOLE_LOCK_PREFIXES, this.state.locksSeen);
  }
}
