import { TraceReceiver, type ReceivedSpan } from '@etcd-patterns/demo';

/**
 * One span as received over OTLP/HTTP JSON, flattened with its service name (`kind`: 1 internal,
 * 2 server, 3 client).
 */
export type SinkSpan = ReceivedSpan;

/**
 * The demo's trace receiver (`POST /v1/traces`, JSON encoding), keeping every span it receives
 * for the cross-service assertions of `apps.int-spec.ts`.
 */
export class OtlpSink {
  private constructor(
    private readonly receiver: TraceReceiver,
    /** Every span received so far (unbounded, unlike the receiver's store). */
    readonly spans: SinkSpan[],
  ) {}

  /** Starts the demo's {@link TraceReceiver} on a loopback port chosen by the OS. */
  static async start(): Promise<OtlpSink> {
    const spans: SinkSpan[] = [];
    const receiver = await TraceReceiver.start({
      onSpans: (received) => {
        for (const span of received) spans.push(span);
      },
    });
    return new OtlpSink(receiver, spans);
  }

  /** `http://127.0.0.1:PORT`, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  get endpoint(): string {
    return this.receiver.endpoint;
  }

  /** Stops the receiver. Idempotent. */
  close(): Promise<void> {
    return this.receiver.close();
  }
}
