import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post } from '@nestjs/common';
import type { TraceDetailView, TracesView } from '@etcd-patterns/console-contract';
import { decodeOtlpTraces, OtlpDecodeError } from '@etcd-patterns/telemetry';
import { ApiDoc } from './api-doc';
import { ApiException, badRequest, notFound } from './api-error';
import { ConsoleState } from './console-state';
import { Public } from './session.guard';
import { parseInput, traceParams } from './validation';

/**
 * The console's trace viewer: an OTLP/HTTP receiver (`POST /v1/traces`, JSON encoding, the
 * same as the demo's receiver; protobuf is 415) into a bounded `TraceStore`, and the API over it.
 * The receiver needs no session (exporters have none) and stores nothing but spans.
 */
@Controller()
export class TracesController {
  constructor(@Inject(ConsoleState) private readonly state: ConsoleState) {}

  @Post('v1/traces')
  @Public()
  @HttpCode(200)
  @ApiDoc({ tag: 'traces', summary: 'OTLP/HTTP JSON trace export (OTEL_EXPORTER_OTLP_PROTOCOL=http/json); no session needed', public: true })
  receive(@Body() body: unknown, @Headers('content-type') contentType: string | undefined): Record<string, never> {
    if (!/^application\/json\b/i.test(contentType ?? '')) {
      throw new ApiException(415, 'UNSUPPORTED_MEDIA_TYPE', 'this receiver takes OTLP/HTTP JSON only: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json');
    }
    try {
      this.state.traces.add(decodeOtlpTraces(body));
    } catch (error) {
      if (error instanceof OtlpDecodeError) throw badRequest(`not an OTLP/HTTP JSON trace export: ${error.message}`);
      throw error;
    }
    return {};
  }

  @Get('api/traces')
  @ApiDoc({ tag: 'traces', summary: `The last traces received (newest first)`, returns: 'TracesView' })
  list(): TracesView {
    return {
      traces: this.state.traces.list().map((t) => ({
        traceId: t.traceId,
        rootName: t.rootName,
        rootService: t.rootService,
        services: t.services,
        spanCount: t.spanCount,
        durationMs: t.durationMs,
        startTime: t.startTime,
      })),
    };
  }

  @Get('api/traces/:traceId')
  @ApiDoc({ tag: 'traces', summary: 'One trace: its spans in parent order, for a waterfall (404 unknown)', returns: 'TraceDetailView' })
  trace(@Param() params: unknown): TraceDetailView {
    const { traceId } = parseInput(traceParams, params);
    const trace = this.state.traces.get(traceId);
    if (!trace) throw notFound(`no trace ${traceId} (unknown, not received yet, or dropped: the newest traces are kept)`);
    return {
      traceId: trace.traceId,
      spans: trace.spans.map((s) => ({
        spanId: s.spanId,
        parentSpanId: s.parentSpanId,
        depth: s.depth,
        name: s.name,
        service: s.service,
        kind: s.kind,
        startOffsetMs: s.offsetMs,
        durationMs: s.durationMs,
        status: s.status,
        attributes: { ...s.attributes },
      })),
    };
  }
}
