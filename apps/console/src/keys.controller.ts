import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import type { ImportResult, KeyExport, KeyListView, KeyValueView, KeyWriteResult } from '@etcd-patterns/console-contract';
import { ApiDoc } from './api-doc';
import { deleteKeyGuarded, exportKeys, importKeys, keyValueView, listKeys, putKeyGuarded } from './keys-view';
import { CurrentSession } from './session.guard';
import type { ConsoleSession } from './session-store';
import {
  deleteKeyQuery,
  exportQuery,
  importBody,
  importQuery,
  keysQuery,
  keyValueQuery,
  parseInput,
  putKeyBody,
} from './validation';

/** `/api/keys...`: listing, value viewer, guarded edits, export and import. */
@Controller('api/keys')
export class KeysController {
  @Get()
  @ApiDoc({ tag: 'keys', summary: 'Keys under a prefix (keys only), paged, with child folders; search by substring', query: keysQuery, returns: 'KeyListView' })
  list(@Query() query: unknown, @CurrentSession() session: ConsoleSession): Promise<KeyListView> {
    const q = parseInput(keysQuery, query);
    return listKeys(session.client, q);
  }

  @Get('value')
  @ApiDoc({ tag: 'keys', summary: 'One value (text/json/yaml/binary) with its earlier revisions (404 absent, 410 compacted revision)', query: keyValueQuery, returns: 'KeyValueView' })
  value(@Query() query: unknown, @CurrentSession() session: ConsoleSession): Promise<KeyValueView> {
    const { key, revision } = parseInput(keyValueQuery, query);
    return keyValueView(session.client, key, revision);
  }

  @Put('value')
  @ApiDoc({ tag: 'keys', summary: 'Put guarded by mod revision (0: create only); 409 with both sides', body: putKeyBody, returns: 'KeyWriteResult' })
  put(@Body() body: unknown, @CurrentSession() session: ConsoleSession): Promise<KeyWriteResult> {
    const { key, value, expectedModRevision } = parseInput(putKeyBody, body);
    return putKeyGuarded(session.client, key, value, expectedModRevision);
  }

  @Delete('value')
  @HttpCode(204)
  @ApiDoc({ tag: 'keys', summary: 'Delete guarded by mod revision (409 on conflict)', query: deleteKeyQuery, status: 204 })
  async remove(@Query() query: unknown, @CurrentSession() session: ConsoleSession): Promise<void> {
    const { key, expectedModRevision } = parseInput(deleteKeyQuery, query);
    await deleteKeyGuarded(session.client, key, expectedModRevision);
  }

  @Get('export')
  @ApiDoc({ tag: 'keys', summary: 'Every key and value under a prefix at one revision', query: exportQuery, returns: 'KeyExport' })
  export(@Query() query: unknown, @CurrentSession() session: ConsoleSession): Promise<KeyExport> {
    return exportKeys(session.client, parseInput(exportQuery, query).prefix);
  }

  @Post('import')
  @HttpCode(200)
  @ApiDoc({ tag: 'keys', summary: 'Import an export (dryRun=true by default); one transaction per batch of 128', query: importQuery, body: importBody, returns: 'ImportResult' })
  import(@Query() query: unknown, @Body() body: unknown, @CurrentSession() session: ConsoleSession): Promise<ImportResult> {
    const { dryRun } = parseInput(importQuery, query);
    return importKeys(session.client, parseInput(importBody, body), dryRun);
  }
}
