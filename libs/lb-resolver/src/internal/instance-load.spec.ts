import { InstanceLoad, type PickTracker } from './instance-load';

describe('InstanceLoad', () => {
  const make = (decayMs = 10_000): { load: InstanceLoad; unsettled: PickTracker[] } => {
    const unsettled: PickTracker[] = [];
    return { load: new InstanceLoad(() => decayMs, (pick) => unsettled.push(pick)), unsettled };
  };

  it('counts a call as in flight from its pick, so a burst of picks sees each other', () => {
    const { load, unsettled } = make();
    load.picked();
    load.picked();
    expect(load.inflight).toBe(2);
    expect(unsettled).toHaveLength(2);
  });

  it('uncounts a pick that never started, and counts it again if it starts late', () => {
    const { load } = make();
    const dropped = load.picked();
    const late = load.picked();
    dropped.settle();
    late.settle();
    expect(load.inflight).toBe(0);
    late.start();
    expect(load.inflight).toBe(1);
    late.end('ok');
    expect(load.inflight).toBe(0);
  });

  it('a started call is not uncounted by settling; its end is', () => {
    const { load } = make();
    const call = load.picked();
    call.start();
    call.settle();
    expect(load.inflight).toBe(1);
    call.end('ok');
    call.end('ok'); // a second report changes nothing
    expect(load.inflight).toBe(0);
  });

  it('takes a new instance to be as fast as its peer, so in-flight calls decide', () => {
    const { load: fresh } = make();
    const { load: known } = make();
    known.sample(4, 1000, 'ok');
    expect(fresh.score(known)).toBe(4);
    known.picked();
    expect(known.score(fresh)).toBe(8);
    expect(fresh.score(known)).toBeLessThan(known.score(fresh));
  });

  it('learns its first figures as a plain mean, then decays by time', () => {
    const { load: peer } = make();
    const { load } = make(1000);
    load.sample(20, 1000, 'ok');
    expect(load.score(peer)).toBe(20);
    load.sample(10, 1000, 'ok');
    expect(load.score(peer)).toBe(15);

    const { load: spaced } = make(1000);
    spaced.sample(10, 0, 'ok');
    spaced.sample(0, 1000, 'ok'); // one time constant later: the old figure keeps a weight of 1/e
    expect(spaced.score(peer)).toBeCloseTo(10 / Math.E, 6);
  });

  it('never lets a failure make an instance look faster; a cancelled call leaves it as it was', () => {
    const { load: peer } = make();
    const { load } = make(1000);
    load.sample(0.2, 0, 'failed'); // no figure yet: a fast failure does not become one
    expect(load.score(peer)).toBe(1);
    load.sample(10, 0, 'ok');
    load.sample(0.2, 0, 'failed'); // counts as 20 ms
    expect(load.score(peer)).toBe(15);
    load.sample(0.1, 0, 'cancelled');
    expect(load.score(peer)).toBe(15);
    const call = load.picked();
    call.start();
    call.end('cancelled');
    expect(load.inflight).toBe(0);
    expect(load.score(peer)).toBe(15);
  });
});
