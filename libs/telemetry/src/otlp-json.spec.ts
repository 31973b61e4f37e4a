import { decodeOtlpTraces, OtlpDecodeError } from './otlp-json';

describe('decodeOtlpTraces', () => {
  it('flattens resource and scope spans with the service name, times and attributes', () => {
    const spans = decodeOtlpTraces({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'gateway' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '4BF92F3577B34DA6A3CE929D0E0E4736',
                  spanId: '00f067aa0ba902b7',
                  name: 'GET /hello',
                  kind: 2,
                  startTimeUnixNano: '1767225600000000000',
                  endTimeUnixNano: { low: 1_000_000, high: 0 },
                  attributes: [
                    { key: 'http.status_code', value: { intValue: 200 } },
                    { key: 'big', value: { intValue: '9007199254740993' } },
                    { key: 'ok', value: { boolValue: true } },
                    { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { doubleValue: 1.5 }] } } },
                  ],
                  status: { code: 2, message: 'boom' },
                },
                { traceId: 'nope', spanId: '00f067aa0ba902b7', name: 'skipped' },
              ],
            },
          ],
        },
        { scopeSpans: [{ spans: [{ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b8', parentSpanId: '00f067aa0ba902b7', startTimeUnixNano: 5, endTimeUnixNano: 9 }] }] },
      ],
    });
    expect(spans).toEqual([
      {
        service: 'gateway',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        parentSpanId: '',
        name: 'GET /hello',
        kind: 2,
        startTimeUnixNano: 1767225600000000000n,
        endTimeUnixNano: 1767225600000000000n, // an end before the start is clamped
        attributes: { 'http.status_code': 200, big: '9007199254740993', ok: true, list: ['a', 1.5] },
        statusCode: 2,
        statusMessage: 'boom',
      },
      {
        service: '?',
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b8',
        parentSpanId: '00f067aa0ba902b7',
        name: '',
        kind: 0,
        startTimeUnixNano: 5n,
        endTimeUnixNano: 9n,
        attributes: {},
        statusCode: 0,
        statusMessage: '',
      },
    ]);
  });

  it('refuses what is not an export request', () => {
    for (const body of [null, [], 'x', { resourceSpans: {} }]) expect(() => decodeOtlpTraces(body)).toThrow(OtlpDecodeError);
    expect(decodeOtlpTraces({})).toEqual([]);
  });
});
