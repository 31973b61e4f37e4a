import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { SESSION_COOKIE, type AccessView, type EnableAuthResult } from '@etcd-patterns/console-contract';
import type { Logger } from 'pino';
import { accessView, accessWrites, enableAuth } from './access-view';
import { ApiDoc } from './api-doc';
import { EtcdAccess } from './etcd-access';
import { SESSION_COOKIE_OPTIONS } from './session.controller';
import { CurrentSession } from './session.guard';
import { SessionStore, type ConsoleSession } from './session-store';
import { LOGGER } from './tokens';
import { addRoleBody, addUserBody, grantRoleBody, nameParams, parseInput, permissionBody, revokePermissionQuery, userRoleParams } from './validation';

/** The part of express's response used here. */
interface CookieResponse {
  clearCookie(name: string, options: Record<string, unknown>): unknown;
}

/**
 * `/api/access...`: etcd users and roles through etcd's auth API, with the session's
 * credentials (once auth is on, etcd answers only root). Passwords of new users go to etcd and
 * nowhere else.
 */
@Controller('api/access')
export class AccessController {
  constructor(
    @Inject(EtcdAccess) private readonly access: EtcdAccess,
    @Inject(SessionStore) private readonly sessions: SessionStore,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @Get()
  @ApiDoc({ tag: 'access', summary: 'Users with roles, roles with permissions (403 for users without root)', returns: 'AccessView' })
  async view(@CurrentSession() session: ConsoleSession): Promise<AccessView> {
    return accessView(session.client, await this.access.authEnabled());
  }

  @Post('users')
  @HttpCode(204)
  @ApiDoc({ tag: 'access', summary: 'Add a user', body: addUserBody, status: 204 })
  async addUser(@Body() body: unknown, @CurrentSession() session: ConsoleSession): Promise<void> {
    const { name, password } = parseInput(addUserBody, body);
    await accessWrites.addUser(session.client, name, password);
    this.log.info({ user: session.username, added: name }, 'etcd user added');
  }

  @Post('roles')
  @HttpCode(204)
  @ApiDoc({ tag: 'access', summary: 'Add a role', body: addRoleBody, status: 204 })
  async addRole(@Body() body: unknown, @CurrentSession() session: ConsoleSession): Promise<void> {
    const { name } = parseInput(addRoleBody, body);
    await accessWrites.addRole(session.client, name);
    this.log.info({ user: session.username, role: name }, 'etcd role added');
  }

  @Post('users/:name/roles')
  @HttpCode(204)
  @ApiDoc({ tag: 'access', summary: 'Grant a role to a user', body: grantRoleBody, status: 204 })
  async grantRole(@Param() params: unknown, @Body() body: unknown, @CurrentSession() session: ConsoleSession): Promise<void> {
    const { name } = parseInput(nameParams, params);
    const { role } = parseInput(grantRoleBody, body);
    await accessWrites.grantRole(session.client, name, role);
    this.log.info({ user: session.username, target: name, role }, 'etcd role granted');
  }

  @Delete('users/:name/roles/:role')
  @HttpCode(204)
  @ApiDoc({ tag: 'access', summary: 'Revoke a role from a user', status: 204 })
  async revokeRole(@Param() params: unknown, @CurrentSession() session: ConsoleSession): Promise<void> {
    const { name, role } = parseInput(userRoleParams, params);
    await accessWrites.revokeRole(session.client, name, role);
    this.log.info({ user: session.username, target: name, role }, 'etcd role revoked');
  }

  @Post('roles/:name/permissions')
  @HttpCode(204)
  @ApiDoc({ tag: 'access', summary: "Grant a permission (read, write, readwrite) on a key or prefix ('' with prefix: every key)", body: permissionBody, status: 204 })
  async grantPermission(@Param() params: unknown, @Body() body: unknown, @CurrentSession() session: ConsoleSession): Promise<void> {
    const { name } = parseInput(nameParams, params);
    const { type, key, prefix } = parseInput(permissionBody, body);
    await accessWrites.grantPermission(session.client, name, type, key, prefix);
    this.log.info({ user: session.username, role: name, type, key, prefix }, 'etcd permission granted');
  }

  @Delete('roles/:name/permissions')
  @HttpCode(204)
  @ApiDoc({ tag: 'access', summary: 'Revoke a permission of a role', query: revokePermissionQuery, status: 204 })
  async revokePermission(@Param() params: unknown, @Query() query: unknown, @CurrentSession() session: ConsoleSession): Promise<void> {
    const { name } = parseInput(nameParams, params);
    const { key, prefix } = parseInput(revokePermissionQuery, query);
    await accessWrites.revokePermission(session.client, name, key, prefix);
    this.log.info({ user: session.username, role: name, key, prefix }, 'etcd permission revoked');
  }

  /**
   * Enables etcd auth (see `enableAuth` for the lock-out checks). Sessions that signed in while
   * auth was off can do nothing afterwards, so they are signed out (the caller's too: sign in
   * again as root).
   */
  @Post('enable')
  @HttpCode(200)
  @ApiDoc({ tag: 'access', summary: 'Enable etcd auth; 409 ACCESS_LOCKOUT unless user root holds role root and the caller is root', returns: 'EnableAuthResult' })
  async enable(@CurrentSession() session: ConsoleSession, @Res({ passthrough: true }) res: CookieResponse): Promise<EnableAuthResult> {
    await enableAuth(session.client, session.authEnabled ? session.username : session.signInName);
    const signedOut = await this.sessions.endWhere((s) => !s.authEnabled);
    if (!session.authEnabled) res.clearCookie(SESSION_COOKIE, SESSION_COOKIE_OPTIONS);
    this.log.warn({ user: session.username || session.signInName, signedOut }, 'etcd auth enabled');
    return { authEnabled: true, signedOut };
  }
}
