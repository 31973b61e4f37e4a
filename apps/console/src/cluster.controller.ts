import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { ClusterView } from '@etcd-patterns/console-contract';
import { compact, defragment, disarm, saveSnapshot, type AlarmInfo, type CompactResult, type DefragmentResult } from '@etcd-patterns/ops';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { ApiDoc } from './api-doc';
import { clusterView } from './cluster-view';
import { ConsoleState } from './console-state';
import { CurrentSession } from './session.guard';
import type { ConsoleSession } from './session-store';
import { LOGGER } from './tokens';
import { compactBody, defragBody, parseInput } from './validation';

/** The parts of express's request and response used for the download. */
interface ClosingRequest {
  once(event: 'close', listener: () => void): unknown;
}
type DownloadResponse = Writable & { setHeader(name: string, value: string): unknown; status(code: number): unknown };

/**
 * `/api/cluster...`: the cluster view, and the maintenance calls of `@etcd-patterns/ops`, each
 * with the session's credentials (etcd allows defragment and snapshot to root only).
 */
@Controller('api/cluster')
export class ClusterController {
  constructor(
    @Inject(ConsoleState) private readonly state: ConsoleState,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @Get()
  @ApiDoc({ tag: 'cluster', summary: 'Status and health of every member, members, alarms, revision and compaction revision', returns: 'ClusterView' })
  cluster(@CurrentSession() session: ConsoleSession): Promise<ClusterView> {
    return clusterView(session.ops, this.state.compactFinder);
  }

  @Post('alarms/disarm')
  @HttpCode(200)
  @ApiDoc({ tag: 'cluster', summary: 'Deactivate every active alarm (after freeing space for NOSPACE)', returns: '{ disarmed: AlarmInfo[] }' })
  async disarm(@CurrentSession() session: ConsoleSession): Promise<{ disarmed: AlarmInfo[] }> {
    const disarmed = await disarm(session.ops);
    this.log.info({ user: session.username, disarmed }, 'alarms disarmed');
    return { disarmed };
  }

  @Post('defrag')
  @HttpCode(200)
  @ApiDoc({ tag: 'cluster', summary: 'Defragment one member (it blocks while it runs)', body: defragBody, returns: 'DefragmentResult' })
  async defrag(@Body() body: unknown, @CurrentSession() session: ConsoleSession): Promise<DefragmentResult> {
    const { member } = parseInput(defragBody, body);
    const result = await defragment(session.ops, member);
    this.log.info({ user: session.username, ...result }, 'member defragmented');
    return result;
  }

  @Post('compact')
  @HttpCode(200)
  @ApiDoc({ tag: 'cluster', summary: "Compact the history up to a revision ('current': keep only the latest values)", body: compactBody, returns: 'CompactResult' })
  async compact(@Body() body: unknown, @CurrentSession() session: ConsoleSession): Promise<CompactResult> {
    const { revision } = parseInput(compactBody, body);
    const result = await compact(session.ops, revision);
    this.log.info({ user: session.username, ...result }, 'compacted');
    return result;
  }

  /**
   * Saves a snapshot to a temporary file with full verification (SHA-256 trailer and bbolt
   * structure), then streams it and deletes it. Nothing is sent unless the snapshot verified;
   * the headers name its SHA-256 and revision.
   */
  @Get('snapshot')
  @ApiDoc({ tag: 'cluster', summary: 'Download a verified snapshot (headers x-snapshot-sha256, x-snapshot-revision)', produces: 'application/octet-stream' })
  async snapshot(@CurrentSession() session: ConsoleSession, @Req() req: ClosingRequest, @Res() res: DownloadResponse): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'console-snapshot-'));
    const gone = new AbortController();
    req.once('close', () => gone.abort());
    try {
      const saved = await saveSnapshot(session.client, join(dir, 'snapshot.db'), { verify: 'full', signal: AbortSignal.any([gone.signal, session.ended]) });
      const revision = saved.status?.revision ?? 0;
      res.status(200);
      res.setHeader('content-type', 'application/octet-stream');
      res.setHeader('content-length', String(saved.bytes));
      res.setHeader('content-disposition', `attachment; filename="etcd-snapshot-${revision}.db"`);
      res.setHeader('cache-control', 'no-store');
      res.setHeader('x-snapshot-sha256', saved.sha256);
      res.setHeader('x-snapshot-revision', String(revision));
      this.log.info({ user: session.username, bytes: saved.bytes, revision, sha256: saved.sha256 }, 'snapshot download');
      await pipeline(createReadStream(saved.path), res).catch((error: unknown) => {
        if (!gone.signal.aborted) this.log.warn({ err: error }, 'snapshot download broke off');
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
