import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { advertiseHostSchema, pickFreePort, resolveAdvertiseHost } from './listen-address';

describe('listen address helpers', () => {
  it('resolves advertise hosts', () => {
    expect(resolveAdvertiseHost('10.0.0.7')).toBe('10.0.0.7');
    expect(resolveAdvertiseHost('@hostname')).toBe(hostname());
    expect(advertiseHostSchema().parse(undefined)).toBe('127.0.0.1');
    expect(advertiseHostSchema().safeParse('').success).toBe(false);
  });

  it('picks a port that can then be bound', async () => {
    const port = await pickFreePort('127.0.0.1');
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
    expect(port).toBeGreaterThan(0);
  });
});
