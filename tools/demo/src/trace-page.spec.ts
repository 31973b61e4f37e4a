import { escapeHtml, renderTracePage } from './trace-page';
import type { TraceView } from '@etcd-patterns/telemetry';

const trace: TraceView = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  rootName: 'GET /hello',
  rootService: 'gateway',
  services: ['gateway', 'greeter'],
  spanCount: 2,
  droppedSpans: 0,
  durationMs: 20,
  startTime: '2026-01-01T00:00:00.000Z',
  spans: [
    { spanId: '00f067aa0ba902b7', parentSpanId: '', depth: 0, parentMissing: false, service: 'gateway', name: 'GET /hello', kind: 'server', offsetMs: 0, durationMs: 20, startTime: '2026-01-01T00:00:00.000Z', status: 'unset', statusMessage: '', attributes: { 'http.route': '/hello' } },
    {
      spanId: '00f067aa0ba902b8',
      parentSpanId: '00f067aa0ba902b7',
      depth: 1,
      parentMissing: false,
      service: '<script>alert("svc")</script>',
      name: `say "hi" & <b>'bye'</b>`,
      kind: 'client',
      offsetMs: 5,
      durationMs: 10,
      startTime: '2026-01-01T00:00:00.005Z',
      status: 'error',
      statusMessage: '<img src=x onerror=alert(1)>',
      attributes: { '"><i>': '</td>' },
    },
  ],
};

describe('escapeHtml', () => {
  it('escapes the five HTML special characters and nothing else', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a> ü`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt; ü');
  });
});

describe('renderTracePage', () => {
  const html = renderTracePage(trace);

  it('has one row per span, indented by depth, with offset, duration and a bar', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const rows = html.match(/<tr class="span[^"]*"/g) ?? [];
    expect(rows).toEqual(['<tr class="span"', '<tr class="span error"']);
    expect(html).toContain('<td class="name" style="padding-left:8px">GET /hello</td>');
    expect(html).toContain('padding-left:24px');
    expect(html).toContain('style="left:25.000%;width:50.000%;');
    expect(html).toContain('<td class="num">5.00</td><td class="num">10.0</td>');
    expect(html).toContain(trace.traceId);
  });

  it('escapes every text that comes from spans', () => {
    expect(html).not.toMatch(/<script|<img|<b>|<i>|<\/td>"/);
    expect(html).toContain('&lt;script&gt;alert(&quot;svc&quot;)&lt;/script&gt;');
    expect(html).toContain('say &quot;hi&quot; &amp; &lt;b&gt;&#39;bye&#39;&lt;/b&gt;');
    expect(html).toContain('error: &lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&quot;&gt;&lt;i&gt; = &lt;/td&gt;');
  });

  it('loads nothing from elsewhere and runs no script', () => {
    expect(html).not.toMatch(/<script|<link|src=["']?http|@import/i);
  });
});
