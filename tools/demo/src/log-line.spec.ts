import { formatLogLine } from './log-line';

describe('formatLogLine', () => {
  it('shows level, message and fields, with the trace id last', () => {
    const line = JSON.stringify({
      level: 'info', time: '2026-01-01T00:00:00.000Z', service: 'gateway', pid: 1, instance: 'gw',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7',
      method: 'GET', path: '/hello', statusCode: 200, msg: 'request',
    });
    expect(formatLogLine(line)).toBe('info request method=GET path=/hello statusCode=200 trace_id=4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('leaves lines without a trace alone, passes non-JSON through and hides Nest start-up chatter', () => {
    expect(formatLogLine(JSON.stringify({ level: 'info', msg: 'greeter ready', address: '127.0.0.1:5000', meta: { a: 1 } }))).toBe('info greeter ready address=127.0.0.1:5000 meta={"a":1}');
    expect(formatLogLine('otel: export failed')).toBe('otel: export failed');
    expect(formatLogLine('42')).toBe('42');
    expect(formatLogLine(JSON.stringify({ level: 'info', msg: 'x', context: 'RouterExplorer' }))).toBeUndefined();
  });
});
