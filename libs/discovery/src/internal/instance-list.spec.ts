import type { ServiceInstance } from '../service-instance';
import { compareInstances, InstanceList } from './instance-list';

const instance = (address: string, key = `/services/s/${address}`, version = '1'): ServiceInstance => ({
  service: 's',
  address,
  metadata: { version },
  key,
  createRevision: 1,
  modRevision: 1,
  lease: '0',
});

/** What the list must always equal: every entry, sorted from scratch. */
function expected(entries: Map<string, ServiceInstance>): ServiceInstance[] {
  return [...entries.values()].sort(compareInstances);
}

describe('InstanceList', () => {
  it('keeps address order through adds, replacements and removals, never changing a published array', () => {
    const list = new InstanceList();
    list.set(instance('10.0.0.2:80'));
    list.set(instance('10.0.0.1:80'));
    const first = list.commit();
    expect(first.map((i) => i.address)).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    expect(Object.isFrozen(first)).toBe(true);

    list.set(instance('10.0.0.1:80', undefined, '2'));
    list.delete('/services/s/10.0.0.2:80');
    list.set(instance('10.0.0.0:80'));
    const second = list.commit();
    expect(second.map((i) => [i.address, i.metadata.version])).toEqual([
      ['10.0.0.0:80', '1'],
      ['10.0.0.1:80', '2'],
    ]);
    expect(first.map((i) => i.address)).toEqual(['10.0.0.1:80', '10.0.0.2:80']);
    expect(list.commit()).toBe(second); // nothing changed: the same array
  });

  it('orders instances sharing an address by key, and removes the right one', () => {
    const list = new InstanceList();
    list.set(instance('10.0.0.1:80', '/services/s/b'));
    list.set(instance('10.0.0.1:80', '/services/s/a'));
    list.set(instance('10.0.0.1:80', '/services/s/c'));
    list.delete('/services/s/b');
    expect(list.commit().map((i) => i.key)).toEqual(['/services/s/a', '/services/s/c']);
  });

  it('matches a full sort after random changes, one at a time and in large batches (rebuilt)', () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const list = new InstanceList();
    const truth = new Map<string, ServiceInstance>();
    for (let round = 0; round < 200; round++) {
      const batch = round % 10 === 0 ? 100 : 1 + random(3); // every tenth round is past the splice limit
      for (let e = 0; e < batch; e++) {
        const address = `10.0.${random(4)}.${random(200)}:80`;
        const key = `/services/s/${address}`;
        if (random(3) === 0) {
          list.delete(key);
          truth.delete(key);
        } else {
          const next = instance(address, key, String(round));
          list.set(next);
          truth.set(key, next);
        }
      }
      expect(list.commit()).toEqual(expected(truth));
      expect(list.size).toBe(truth.size);
    }
  });

  it('starts over on clear (a snapshot)', () => {
    const list = new InstanceList();
    for (let i = 0; i < 100; i++) list.set(instance(`10.0.0.${i}:80`));
    list.commit();
    list.clear();
    list.set(instance('10.9.9.9:80'));
    expect(list.commit().map((i) => i.address)).toEqual(['10.9.9.9:80']);
  });
});
