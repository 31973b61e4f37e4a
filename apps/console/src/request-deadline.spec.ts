import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestDeadline } from './request-deadline';

describe('requestDeadline', () => {
  let server: Server;
  let base: string;
  const late: string[] = [];
  beforeAll(async () => {
    const app = express();
    app.use(requestDeadline({ timeoutMs: 200 }));
    // A handler that answers after the deadline, as a view waiting on frozen etcd members would.
    const slow = (name: string) => (_req: express.Request, res: express.Response) => {
      setTimeout(() => {
        late.push(name);
        res.status(200).json({ late: name });
      }, 600);
    };
    app.get('/api/services', slow('services'));
    app.get('/api/events/services', slow('events'));
    app.get('/page', slow('page'));
    app.get('/api/fast', (_req, res) => res.json({ ok: true }));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('answers a slow API request 504 ETCD_DEADLINE_EXCEEDED, and drops what the handler writes later', async () => {
    const response = await fetch(`${base}/api/services`);
    expect(response.status).toBe(504);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ETCD_DEADLINE_EXCEEDED');
    expect(body.error.message).toMatch(/did not answer within/);
    // The handler's late answer runs without an exception ("headers already sent") reaching Express.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(late).toContain('services');
  });

  it('leaves fast requests, live streams and non-API paths alone', async () => {
    expect(await (await fetch(`${base}/api/fast`)).json()).toEqual({ ok: true });
    const [events, page] = await Promise.all([fetch(`${base}/api/events/services`), fetch(`${base}/page`)]);
    expect(events.status).toBe(200);
    expect(await events.json()).toEqual({ late: 'events' });
    expect(page.status).toBe(200);
  });
});
