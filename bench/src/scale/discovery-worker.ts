// Worker process of discovery.scale.ts (see child-rpc.ts): registers instances on one shared
// session, holds raw etcd3 leases for the keepalive reference, measures the heap of discover()
// watchers against raw range results, and hosts watchers for register -> watchers latency.
// Env: ETCD_ENDPOINTS.
import { discover, encodeInstanceValue, servicePrefix, ServiceRegistry, type ServiceWatcher } from '@etcd-patterns/discovery';
import { createEtcdClient, prefixRangeEnd, Session } from '@etcd-patterns/etcd';
import type { Lease, Watcher } from 'etcd3';
import { setTimeout as sleep } from 'node:timers/promises';
import { epochMs, retainedBytes, serveRequests } from './child-rpc';

/** Address of instance `i` (unique up to 16M instances). */
export function instanceAddress(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:80`;
}

export const PREFIX = '/services';

async function main(): Promise<void> {
  const client = await createEtcdClient();
  let session: Session | undefined;
  let registry: ServiceRegistry | undefined;
  let lease: Lease | undefined;
  let ours: ServiceWatcher[] = [];
  let raw: Watcher[] = [];
  // What the current sample waits for, and when each watcher saw it.
  let armed: { len?: number; key?: string; seen: number[]; left: number; done: () => void } | undefined;
  let armedDone: Promise<void> = Promise.resolve();

  const see = (index: number): void => {
    if (!armed || armed.seen[index] !== 0) return;
    armed.seen[index] = epochMs();
    if (--armed.left === 0) armed.done();
  };

  serveRequests(
    {
      async register(args) {
        const services = args['services'] as string[];
        const count = args['count'] as number;
        const offset = args['offset'] as number;
        session = await Session.create(client, { ttlSeconds: args['ttlSeconds'] as number });
        const mine = session;
        mine.lost.addEventListener('abort', () => {
          const reason = (mine.lost.reason as { reason?: string } | undefined)?.reason;
          if (reason !== 'closed') process.stderr.write(`discovery worker ${process.pid}: session lost: ${String(mine.lost.reason)}\n`);
        });
        registry = new ServiceRegistry({ session, prefix: PREFIX });
        const start = performance.now();
        await Promise.allSettled(
          Array.from({ length: count }, (_, k) => {
            const i = offset + k;
            return registry!.register({ service: services[i % services.length]!, address: instanceAddress(i) });
          }),
        );
        const failed = registry.registrations.length - count;
        if (failed !== 0) throw new Error(`register: ${-failed} of ${count} registrations failed`);
        return { ms: performance.now() - start };
      },
      async unregister() {
        // Revoke first: the keys go with the lease, so close() has nothing left to delete.
        await session?.close();
        await registry?.close();
        session = undefined;
        registry = undefined;
      },
      async refLease(args) {
        lease = client.lease(args['ttlSeconds'] as number, { autoKeepAlive: true });
        await lease.grant();
      },
      async refLeaseStop() {
        await lease?.revoke();
        lease = undefined;
      },
      // Retained bytes of one discover() per service against the raw range results of the same prefixes.
      async memory(args) {
        const services = args['services'] as string[];
        const total = args['total'] as number;
        // Warm-up, so that compiled code and lazily made module state are not counted.
        const warm = discover({ client, service: 'warm-up', prefix: PREFIX });
        await warm.ready;
        await client.kv.range({ key: Buffer.from('/warm-up/'), range_end: prefixRangeEnd(Buffer.from('/warm-up/')) });
        await sleep(100);
        warm.close();
        // What the watchers hold: the same watchers over empty prefixes (what a watcher costs
        // before its first instance) and over the instances, measured in turn, 4 times. The
        // first pair warms up what many open streams need; the median of the other three is
        // kept: at 100 instances the instances are some 70 KB beside a watchers' heap that one
        // GC reading puts 50 KB off, and a single pair measured 237-700 B per instance.
        const held = async (suffix: string): Promise<{ bytes: number; seen: number }> => {
          const start = retainedBytes();
          const open = services.map((service) => discover({ client, service: `${service}${suffix}`, prefix: PREFIX }));
          const lists = await Promise.all(open.map((w) => w.ready));
          await sleep(300); // the watch streams open after the snapshot
          const bytes = retainedBytes() - start;
          for (const w of open) w.close();
          await sleep(300);
          return { bytes, seen: lists.reduce((a, l) => a + l.length, 0) };
        };
        const idleRounds: number[] = [];
        const oursRounds: number[] = [];
        let seen = 0;
        for (let round = 0; round < 4; round++) {
          const idle = await held('-empty');
          const full = await held('');
          seen = full.seen;
          if (round > 0) {
            idleRounds.push(idle.bytes);
            oursRounds.push(full.bytes);
          }
        }
        const median3 = (values: number[]): number => [...values].sort((a, b) => a - b)[1]!;
        const idleBytes = median3(idleRounds);
        const oursBytes = median3(oursRounds);
        const base = retainedBytes();
        const kept = await Promise.all(
          services.map(async (service) => {
            const key = Buffer.from(servicePrefix(PREFIX, service));
            return (await client.kv.range({ key, range_end: prefixRangeEnd(key) })).kvs;
          }),
        );
        const withRanges = retainedBytes();
        const rawSeen = kept.reduce((a, kvs) => a + kvs.length, 0);
        if (seen !== total || rawSeen !== total) throw new Error(`memory: saw ${seen} / ${rawSeen} of ${total} instances`);
        return { oursBytes, idleBytes, rawBytes: withRanges - base };
      },
      async watch(args) {
        const service = args['service'] as string;
        const count = args['count'] as number;
        if (args['mode'] === 'raw') {
          const prefix = servicePrefix(PREFIX, service);
          raw = await Promise.all(Array.from({ length: count }, () => client.watch().prefix(prefix).create()));
          raw.forEach((w, index) => w.on('put', (kv) => armed?.key === kv.key.toString() && see(index)));
          return;
        }
        ours = Array.from({ length: count }, () => discover({ client, service, prefix: PREFIX }));
        await Promise.all(ours.map((w) => w.ready));
        ours.forEach((w, index) => {
          void (async () => {
            for await (const list of w) if (armed?.len !== undefined && list.length === armed.len) see(index);
          })();
        });
      },
      arm(args) {
        const count = ours.length || raw.length;
        armedDone = new Promise<void>((resolve) => {
          armed = { len: args['len'] as number | undefined, key: args['key'] as string | undefined, seen: new Array<number>(count).fill(0), left: count, done: resolve };
        });
        // A list already at the wanted length (a change faster than this request) counts now.
        if (armed!.len !== undefined) ours.forEach((w, index) => w.instances.length === armed!.len && see(index));
      },
      async collect() {
        const timeout = new Promise<never>((_, reject) =>
          setTimeout(() => {
            const lengths = ours.map((w) => w.instances.length);
            reject(new Error(`collect: ${armed?.left} watchers never saw ${armed?.len ?? armed?.key}; list lengths ${[...new Set(lengths)].join(', ')}`));
          }, 60_000).unref(),
        );
        await Promise.race([armedDone, timeout]);
        const seen = armed!.seen;
        armed = undefined;
        return seen;
      },
      async unwatch() {
        for (const w of ours) w.close();
        await Promise.all(raw.map((w) => w.cancel()));
        ours = [];
        raw = [];
      },
      value(args) {
        return encodeInstanceValue(args['address'] as string, {});
      },
    },
    async () => {
      for (const w of ours) w.close();
      await Promise.all(raw.map((w) => w.cancel().catch(() => undefined)));
      await session?.close().catch(() => undefined);
      await registry?.close().catch(() => undefined);
      await lease?.revoke().catch(() => undefined);
      client.close();
    },
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
