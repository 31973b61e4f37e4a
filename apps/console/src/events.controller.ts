import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import type { Logger } from 'pino';
import { ApiDoc } from './api-doc';
import { clusterView } from './cluster-view';
import { configNamespaces } from './config-view';
import { ConsoleState } from './console-state';
import type { ConsoleEnv } from './env';
import { listKeys } from './keys-view';
import { runLiveStream, type StreamResponse, type StreamSource } from './live-stream';
import { LiveStreams } from './live-streams';
import { locksView, looksLikeOwnerKey, scanPrefix } from './locks-view';
import { servicesView } from './services-view';
import { CurrentSession } from './session.guard';
import type { ConsoleSession } from './session-store';
import { CONSOLE_ENV, LOGGER } from './tokens';
import { parseInput, streamParams, streamQuery } from './validation';

/** The part of express's request used here. */
interface ClosingRequest {
  once(event: 'close', listener: () => void): unknown;
}

/**
 * `GET /api/events/:stream`: the live views as Server-Sent Events (see `runLiveStream`), read
 * with the session's etcd client, so etcd's permissions apply to the watches too. A stream ends
 * when the browser goes away, the session ends, or the console shuts down.
 */
@Controller('api/events')
export class EventsController {
  constructor(
    @Inject(LiveStreams) private readonly streams: LiveStreams,
    @Inject(ConsoleState) private readonly state: ConsoleState,
    @Inject(CONSOLE_ENV) private readonly env: ConsoleEnv,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @Get(':stream')
  @ApiDoc({
    tag: 'live',
    summary: 'Live view as Server-Sent Events: services, locks, config, keys (?prefix=), cluster',
    description: 'Each event\'s data is a `LiveEvent`: a `snapshot` first, then `changes` (with a fresh `data`), or for `cluster` a new `snapshot` every 2 s; `error` ends the stream.',
    query: streamQuery,
    produces: 'text/event-stream',
    returns: 'LiveEvent',
  })
  async stream(
    @Param() params: unknown,
    @Query() query: unknown,
    @CurrentSession() session: ConsoleSession,
    @Req() req: ClosingRequest,
    @Res() res: StreamResponse,
  ): Promise<void> {
    const { stream } = parseInput(streamParams, params);
    const { prefix } = parseInput(streamQuery, query);
    const source = this.source(stream, session, prefix);
    const gone = new AbortController();
    req.once('close', () => gone.abort());
    const signal = AbortSignal.any([gone.signal, session.ended, this.streams.signal]);
    const running = runLiveStream(source, { client: session.client, response: res, signal }).catch((error: unknown) => {
      this.log.warn({ err: error, stream }, 'live stream failed');
    });
    this.streams.track(running);
    await running;
  }

  private source(stream: 'services' | 'locks' | 'config' | 'keys' | 'cluster', session: ConsoleSession, prefix: string): StreamSource<unknown> {
    const { client } = session;
    switch (stream) {
      case 'services':
        return { read: async () => withRevision(await servicesView(client, this.env.CONSOLE_REGISTRY_PREFIX, this.state.servicesSeen)), prefixes: [`${this.env.CONSOLE_REGISTRY_PREFIX.replace(/\/+$/, '')}/`] };
      case 'locks':
        return {
          read: async () => withRevision(await locksView(client, this.env.CONSOLE_LOCK_PREFIXES, this.state.locksSeen)),
          prefixes: this.env.CONSOLE_LOCK_PREFIXES.map(scanPrefix),
          relevant: looksLikeOwnerKey,
        };
      case 'config':
        return { read: async () => withRevision(await configNamespaces({ client, root: this.env.CONSOLE_CONFIG_ROOT })), prefixes: [`${this.env.CONSOLE_CONFIG_ROOT.replace(/\/+$/, '')}/`] };
      case 'keys':
        return { read: async () => withRevision(await listKeys(client, { prefix, limit: 100 })), prefixes: [prefix] };
      case 'cluster':
        return { read: async () => withRevision(await clusterView(session.ops, this.state.compactFinder)), intervalMs: 2000 };
    }
  }
}

function withRevision<T extends { revision: number }>(data: T): { revision: number; data: T } {
  return { revision: data.revision, data };
}
