import { Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import type { ApiError, DemoView } from '@etcd-patterns/console-contract';
import type { Logger } from 'pino';
import { ApiDoc } from './api-doc';
import { ApiException, notFound } from './api-error';
import type { ConsoleEnv } from './env';
import { CurrentSession } from './session.guard';
import type { ConsoleSession } from './session-store';
import { CONSOLE_ENV, LOGGER } from './tokens';
import { demoAppParams, demoMemberParams, parseInput } from './validation';

/**
 * `/api/demo...`: the demo launcher's controls (pause, resume, kill and start etcd members; kill
 * and start app replicas), proxied to its loopback control endpoint with its bearer token. Only
 * when the console was started with `CONSOLE_DEMO_CONTROL_URL`; 404 otherwise.
 */
@Controller('api/demo')
export class DemoController {
  constructor(
    @Inject(CONSOLE_ENV) private readonly env: ConsoleEnv,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @Get()
  @ApiDoc({ tag: 'demo', summary: 'Demo members and app replicas (404 unless started by the demo launcher)', returns: 'DemoView' })
  view(@CurrentSession() _session: ConsoleSession): Promise<DemoView> {
    return this.call<DemoView>('GET', '/state');
  }

  @Post('members/:name/:action')
  @HttpCode(200)
  @ApiDoc({ tag: 'demo', summary: 'pause | resume | kill | start an etcd member of the demo', returns: 'DemoView' })
  async member(@Param() params: unknown, @CurrentSession() session: ConsoleSession): Promise<DemoView> {
    const { name, action } = parseInput(demoMemberParams, params);
    this.log.warn({ user: session.username || session.signInName, member: name, action }, 'demo control');
    return this.call<DemoView>('POST', `/members/${encodeURIComponent(name)}/${action}`);
  }

  @Post('apps/:id/:action')
  @HttpCode(200)
  @ApiDoc({ tag: 'demo', summary: 'kill | start an app replica of the demo', returns: 'DemoView' })
  async app(@Param() params: unknown, @CurrentSession() session: ConsoleSession): Promise<DemoView> {
    const { id, action } = parseInput(demoAppParams, params);
    this.log.warn({ user: session.username || session.signInName, app: id, action }, 'demo control');
    return this.call<DemoView>('POST', `/apps/${encodeURIComponent(id)}/${action}`);
  }

  private async call<T>(method: 'GET' | 'POST', path: string): Promise<T> {
    const base = this.env.CONSOLE_DEMO_CONTROL_URL;
    if (base === undefined) throw notFound('no demo controls: the console was not started by the demo launcher');
    let res: Response;
    try {
      res = await fetch(`${base.replace(/\/+$/, '')}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.env.CONSOLE_DEMO_CONTROL_TOKEN}` },
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw new ApiException(503, 'DEMO_UNAVAILABLE', `the demo launcher does not answer: ${error instanceof Error ? error.message : String(error)}`);
    }
    const body = (await res.json().catch(() => undefined)) as (T & Partial<ApiError>) | undefined;
    if (!res.ok) {
      throw new ApiException(res.status, body?.error?.code ?? 'DEMO_FAILED', body?.error?.message ?? `the demo launcher answered ${res.status}`);
    }
    return body as T;
  }
}
