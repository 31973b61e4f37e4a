import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import type { ConfigNamespacesView, ConfigNamespaceView, ConfigVersionDocument, PublishConfigResult } from '@etcd-patterns/console-contract';
import { ApiDoc } from './api-doc';
import {
  configNamespaces,
  configNamespaceView,
  configVersionDocument,
  publishConfigText,
  rollbackConfig,
  validateConfigText,
} from './config-view';
import type { ConsoleEnv } from './env';
import { CurrentSession } from './session.guard';
import type { ConsoleSession } from './session-store';
import { CONSOLE_ENV } from './tokens';
import { configParams, parseInput, publishBody, rollbackBody, versionParams } from './validation';

/** Who a config publish is recorded as: the etcd user, or the typed name while auth is off. */
export function authorOf(session: ConsoleSession): string {
  if (session.username) return session.username;
  return session.signInName ? `${session.signInName} (etcd auth off)` : 'console (etcd auth off)';
}

/** `GET/POST /api/config/...`: namespaces, one namespace, versions, validate, publish, rollback. */
@Controller('api/config')
export class ConfigController {
  constructor(@Inject(CONSOLE_ENV) private readonly env: ConsoleEnv) {}

  private ctx(session: ConsoleSession): { client: ConsoleSession['client']; root: string } {
    return { client: session.client, root: this.env.CONSOLE_CONFIG_ROOT };
  }

  @Get()
  @ApiDoc({ tag: 'config', summary: 'Every config namespace (env/app) with its live version', returns: 'ConfigNamespacesView' })
  async namespaces(@CurrentSession() session: ConsoleSession): Promise<ConfigNamespacesView> {
    const { namespaces } = await configNamespaces(this.ctx(session));
    return { namespaces };
  }

  @Get(':env/:app')
  @ApiDoc({ tag: 'config', summary: 'One namespace: live document, history, applied versions, drift, stored schema (404 when nothing is published)', returns: 'ConfigNamespaceView' })
  namespace(@Param() params: unknown, @CurrentSession() session: ConsoleSession): Promise<ConfigNamespaceView> {
    const { env, app } = parseInput(configParams, params);
    return configNamespaceView(this.ctx(session), `${env}/${app}`);
  }

  @Get(':env/:app/versions/:version')
  @ApiDoc({ tag: 'config', summary: "One version's document (404 for an unknown version)", returns: 'ConfigVersionDocument' })
  version(@Param() params: unknown, @CurrentSession() session: ConsoleSession): Promise<ConfigVersionDocument> {
    const { env, app, version } = parseInput(versionParams, params);
    return configVersionDocument(this.ctx(session), `${env}/${app}`, version);
  }

  @Post(':env/:app/validate')
  @HttpCode(200)
  @ApiDoc({ tag: 'config', summary: 'Parse the YAML/JSON text and check it against the stored schema (400 with issues[].at = line:column)', body: publishBody })
  async validate(@Param() params: unknown, @Body() body: unknown, @CurrentSession() session: ConsoleSession): Promise<{ ok: true }> {
    const { env, app } = parseInput(configParams, params);
    await validateConfigText(this.ctx(session), `${env}/${app}`, parseInput(publishBody, body));
    return { ok: true };
  }

  @Post(':env/:app/publish')
  @HttpCode(200)
  @ApiDoc({ tag: 'config', summary: 'Publish the text as the next version if baseVersion is live (409 CONFIG_CONFLICT with both sides)', body: publishBody, returns: 'PublishConfigResult' })
  publish(@Param() params: unknown, @Body() body: unknown, @CurrentSession() session: ConsoleSession): Promise<PublishConfigResult> {
    const { env, app } = parseInput(configParams, params);
    return publishConfigText(this.ctx(session), `${env}/${app}`, parseInput(publishBody, body), authorOf(session));
  }

  @Post(':env/:app/rollback')
  @HttpCode(200)
  @ApiDoc({ tag: 'config', summary: 'Re-publish an old version as the next one if baseVersion is live', body: rollbackBody, returns: 'PublishConfigResult' })
  rollback(@Param() params: unknown, @Body() body: unknown, @CurrentSession() session: ConsoleSession): Promise<PublishConfigResult> {
    const { env, app } = parseInput(configParams, params);
    return rollbackConfig(this.ctx(session), `${env}/${app}`, parseInput(rollbackBody, body), authorOf(session));
  }
}
