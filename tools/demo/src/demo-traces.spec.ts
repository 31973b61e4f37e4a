import { createServer } from 'node:net';
import { startDemoTraces } from './demo-traces';

describe('startDemoTraces', () => {
  it('leaves a configured OTLP endpoint alone and starts nothing', async () => {
    const traces = await startDemoTraces({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318' } });
    expect(traces).toEqual({ env: {}, description: 'traces: exported to http://localhost:4318 (OTEL_EXPORTER_OTLP_ENDPOINT)' });
    expect((await startDemoTraces({ env: { OTEL_SDK_DISABLED: 'true' } })).receiver).toBeUndefined();
  });

  it('starts the built-in receiver and points the apps at it with OTLP/HTTP JSON', async () => {
    const traces = await startDemoTraces({ env: { DEMO_TRACES_PORT: '0' } });
    try {
      const receiver = traces.receiver!;
      expect(traces.env).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      expect(traces.description).toBe(`traces: http://127.0.0.1:${receiver.port}/traces`);
      expect((await fetch(receiver.tracesUrl)).status).toBe(200);
    } finally {
      await traces.receiver?.close();
    }
  });

  it('falls back to a port the OS picks when DEMO_TRACES_PORT is taken, and refuses a bad one', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const traces = await startDemoTraces({ env: { DEMO_TRACES_PORT: String(port) } });
      await traces.receiver!.close();
      expect(traces.receiver!.port).not.toBe(port);
      expect(traces.description).toMatch(new RegExp(`\\(port ${port} is taken\\)$`));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    await expect(startDemoTraces({ env: { DEMO_TRACES_PORT: 'http' } })).rejects.toThrow(/DEMO_TRACES_PORT/);
  });
});
