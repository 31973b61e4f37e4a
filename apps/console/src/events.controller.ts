import { Controller, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import type { LiveStream } from '@etcd-patterns/console-contract';
import type { Logger } from 'pino';
import { ApiDoc } from './api-doc';
import { runLiveStream, type StreamResponse, type StreamSubscription } from './live-stream';
import { LiveStreams } from './live-streams';
import { LiveViews, type LiveViewKey } from './live-views';
import { CurrentSession } from './session.guard';
import type { ConsoleSession } from './session-store';
import { LOGGER } from './tokens';
import { multiplexQuery, parseInput, streamParams, streamQuery } from './validation';

/** The part of express's request used here. */
interface ClosingRequest {
  once(event: 'close', listener: () => void): unknown;
}

/**
 * `GET /api/events/:stream` and `GET /api/events?streams=[...]`: the live views as Server-Sent
 * Events (see `runLiveStream`). Each stream subscribes to the shared view of its session's etcd
 * client (`LiveViews`), so etcd's permissions apply to the watches too and N open tabs cost one
 * watch and one read. A stream ends when the browser goes away, the session ends, or the console
 * shuts down.
 */
@Controller('api/events')
export class EventsController {
  constructor(
    @Inject(LiveStreams) private readonly streams: LiveStreams,
    @Inject(LiveViews) private readonly views: LiveViews,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @Get()
  @ApiDoc({
    tag: 'live',
    summary: 'Several live views over one Server-Sent Events connection: ?streams=["services","keys:/app/"]',
    description:
      "Each event's data is a `LiveEnvelope` `{ stream, event }` with a `LiveEvent` per stream: a `snapshot` first, then `changes` with a `delta`; an `error` ends only its stream. Browsers allow 6 HTTP/1.1 connections per host for all tabs together: the console UI opens one of these per browser.",
    query: multiplexQuery,
    produces: 'text/event-stream',
    returns: 'LiveEnvelope',
  })
  async multiplexed(@Query() query: unknown, @CurrentSession() session: ConsoleSession, @Req() req: ClosingRequest, @Res() res: StreamResponse): Promise<void> {
    const { streams } = parseInput(multiplexQuery, query);
    const keys = [...new Set(streams)].map((id): [string, LiveViewKey] => [id, id.startsWith('keys:') ? { stream: 'keys', prefix: id.slice(5) } : { stream: id as LiveStream }]);
    await this.serve(keys, true, session, req, res);
  }

  @Get(':stream')
  @ApiDoc({
    tag: 'live',
    summary: 'Live view as Server-Sent Events: services, locks, config, keys (?prefix=), cluster',
    description: "Each event's data is a `LiveEvent`: a `snapshot` first, then `changes` with a `delta` (what changed in the snapshot's collections), or for `cluster` a new `snapshot` every 2 s; `error` ends the stream.",
    query: streamQuery,
    produces: 'text/event-stream',
    returns: 'LiveEvent',
  })
  async stream(@Param() params: unknown, @Query() query: unknown, @CurrentSession() session: ConsoleSession, @Req() req: ClosingRequest, @Res() res: StreamResponse): Promise<void> {
    const { stream } = parseInput(streamParams, params);
    const { prefix } = parseInput(streamQuery, query);
    await this.serve([[stream, stream === 'keys' ? { stream, prefix } : { stream }]], false, session, req, res);
  }

  private async serve(keys: ReadonlyArray<[string, LiveViewKey]>, multiplexed: boolean, session: ConsoleSession, req: ClosingRequest, res: StreamResponse): Promise<void> {
    const gone = new AbortController();
    req.once('close', () => gone.abort());
    const signal = AbortSignal.any([gone.signal, session.ended, this.streams.signal]);
    const subscriptions: StreamSubscription[] = keys.map(([id, key]) => ({ id, view: this.views.view(session, key) }));
    const running = runLiveStream(subscriptions, { response: res, signal, multiplexed }).catch((error: unknown) => {
      this.log.warn({ err: error, streams: keys.map(([id]) => id) }, 'live stream failed');
    });
    this.streams.track(running);
    await running;
  }
}
