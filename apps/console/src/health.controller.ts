import { Controller, Get } from '@nestjs/common';
import { ApiDoc } from './api-doc';
import { Public } from './session.guard';

/** `GET /healthz`: the process is up (no etcd call: the console is useful exactly when etcd is not). */
@Controller()
export class HealthController {
  @Get('healthz')
  @Public()
  @ApiDoc({ tag: 'health', summary: 'The process is up', public: true })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
