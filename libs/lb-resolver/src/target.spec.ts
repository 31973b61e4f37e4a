import type { ServiceInstance } from '@etcd-patterns/discovery';
import { DiscoveryArgumentError } from '@etcd-patterns/discovery';
import { etcdChannelOptions } from './service-config';
import { matchesTarget, parseEtcdTarget } from './target';

const instance = (metadata: Record<string, unknown>): ServiceInstance => ({
  service: 's',
  address: 'h:1',
  metadata,
  key: '/services/s/h:1',
  createRevision: 1,
  modRevision: 1,
  lease: '1',
});

describe('etcd target parsing', () => {
  it('reads the service and query filters', () => {
    expect(parseEtcdTarget('greeter')).toEqual({ service: 'greeter', match: {} });
    expect(parseEtcdTarget('greeter?version=2.0.0&zone=a')).toEqual({ service: 'greeter', match: { version: '2.0.0', zone: 'a' } });
  });

  it('rejects bad service names', () => {
    expect(() => parseEtcdTarget('')).toThrow(DiscoveryArgumentError);
    expect(() => parseEtcdTarget('a/b')).toThrow(DiscoveryArgumentError);
  });

  it('matches metadata as strings', () => {
    const target = parseEtcdTarget('s?weight=2&zone=a');
    expect(matchesTarget(target, instance({ weight: 2, zone: 'a' }))).toBe(true);
    expect(matchesTarget(target, instance({ weight: 3, zone: 'a' }))).toBe(false);
    expect(matchesTarget(target, instance({ zone: 'a' }))).toBe(false);
  });
});

describe('etcdChannelOptions', () => {
  const config = (input: Parameters<typeof etcdChannelOptions>[0]): { loadBalancingConfig: unknown[]; methodConfig: unknown[] } =>
    JSON.parse(etcdChannelOptions(input)['grpc.service_config'] as string);

  it('defaults to round robin with retries on UNAVAILABLE for every method', () => {
    expect(config({})).toEqual({
      loadBalancingConfig: [{ round_robin: {} }],
      methodConfig: [
        {
          name: [{}],
          retryPolicy: { maxAttempts: 4, initialBackoff: '0.05s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] },
        },
      ],
    });
  });

  it('selects p2c with a zone, retries only listed services, or none', () => {
    expect(config({ policy: 'p2c', zone: 'a', p2c: { ejectAfterFailures: 3 } }).loadBalancingConfig).toEqual([{ etcd_p2c: { ejectAfterFailures: 3, zone: 'a' } }]);
    expect((config({ retry: ['greeter.v1.Greeter'] }).methodConfig[0] as { name: unknown }).name).toEqual([{ service: 'greeter.v1.Greeter' }]);
    expect(config({ retry: false }).methodConfig).toEqual([]);
  });
});
