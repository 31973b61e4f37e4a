/** One span as received over OTLP/HTTP JSON, flattened with its resource's service name. */
export interface ReceivedSpan {
  /** `service.name` of the span's resource (`?` when missing). */
  readonly service: string;
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  /** 16 lowercase hex digits; `''` for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP span kind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  /** Attribute values decoded to plain JSON values. */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly statusMessage: string;
}

/** Thrown by {@link decodeOtlpTraces} for a body that is not an OTLP trace export request. */
export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
  readonly code = 'OTLP_DECODE_FAILED';
}

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
type OtlpTime = string | number | { low: number; high: number } | undefined;
interface OtlpSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: number;
  startTimeUnixNano?: OtlpTime;
  endTimeUnixNano?: OtlpTime;
  attributes?: OtlpKeyValue[];
  status?: { code?: number; message?: string };
}
interface OtlpTraces {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>;
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

function decodeValue(value: OtlpAnyValue | undefined): unknown {
  if (value === undefined || value === null) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) {
    const n = Number(value.intValue);
    return Number.isSafeInteger(n) ? n : String(value.intValue);
  }
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeValue);
  if (value.kvlistValue !== undefined) return decodeAttributes(value.kvlistValue.values);
  return null;
}

function decodeAttributes(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of Array.isArray(list) ? list : []) if (typeof kv?.key === 'string') out[kv.key] = decodeValue(kv.value);
  return out;
}

/** Nanoseconds: a decimal string (the JSON encoding), a number, or `{low, high}` long bits. */
function decodeTime(value: OtlpTime): bigint {
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return BigInt(Math.trunc(value));
  if (typeof value === 'object' && value !== null && typeof value.low === 'number' && typeof value.high === 'number') {
    return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  }
  return 0n;
}

/**
 * Decodes the body of an OTLP/HTTP JSON trace export (`POST /v1/traces`, an
 * `ExportTraceServiceRequest`) into flat spans. Spans with malformed trace or span ids are
 * skipped; ids are lowercased.
 * @throws {OtlpDecodeError} when `body` is not an object with a `resourceSpans` array (or none).
 */
export function decodeOtlpTraces(body: unknown): ReceivedSpan[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OtlpDecodeError('an OTLP trace export must be a JSON object');
  const resourceSpans = (body as OtlpTraces).resourceSpans ?? [];
  if (!Array.isArray(resourceSpans)) throw new OtlpDecodeError('resourceSpans must be an array');
  const spans: ReceivedSpan[] = [];
  for (const rs of resourceSpans) {
    const service = decodeAttributes(rs?.resource?.attributes)['service.name'];
    for (const ss of Array.isArray(rs?.scopeSpans) ? rs.scopeSpans : []) {
      for (const s of Array.isArray(ss?.spans) ? ss.spans : []) {
        const traceId = String(s?.traceId ?? '').toLowerCase();
        const spanId = String(s?.spanId ?? '').toLowerCase();
        if (!TRACE_ID.test(traceId) || !SPAN_ID.test(spanId)) continue;
        const parentSpanId = String(s.parentSpanId ?? '').toLowerCase();
        const start = decodeTime(s.startTimeUnixNano);
        const end = decodeTime(s.endTimeUnixNano);
        spans.push({
          service: typeof service === 'string' && service !== '' ? service : '?',
          traceId,
          spanId,
          parentSpanId: SPAN_ID.test(parentSpanId) ? parentSpanId : '',
          name: typeof s.name === 'string' ? s.name : '',
          kind: typeof s.kind === 'number' ? s.kind : 0,
          startTimeUnixNano: start,
          endTimeUnixNano: end < start ? start : end,
          attributes: decodeAttributes(s.attributes),
          statusCode: typeof s.status?.code === 'number' ? s.status.code : 0,
          statusMessage: typeof s.status?.message === 'string' ? s.status.message : '',
        });
      }
    }
  }
  return spans;
}
