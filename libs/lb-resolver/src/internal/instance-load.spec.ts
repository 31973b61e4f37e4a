import { InstanceLoad, similarLatency, TRUSTED_AFTER_SAMPLES, type PickTracker } from './instance-load';

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

  /** An instance with `count` completed calls of `latencyMs` each. */
  const learnt = (latencyMs: number, count = TRUSTED_AFTER_SAMPLES): InstanceLoad => {
    const { load } = make();
    for (let i = 0; i < count; i++) load.sample(latencyMs, 1000, 'ok');
    return load;
  };

  it('compares a new instance on in-flight calls alone', () => {
    const { load: fresh } = make();
    const known = learnt(4);
    expect(fresh.compare(known)).toBe(0);
    known.picked();
    expect(fresh.compare(known)).toBeLessThan(0);
    expect(known.compare(fresh)).toBeGreaterThan(0);
  });

  it('lets latency steer only once both figures rest on enough calls', () => {
    const slowStart = learnt(50, TRUSTED_AFTER_SAMPLES - 1);
    const fast = learnt(5);
    expect(slowStart.compare(fast)).toBe(0); // one sample short: still a tie
    slowStart.sample(50, 1000, 'ok');
    expect(slowStart.compare(fast)).toBeGreaterThan(0);
    expect(fast.compare(slowStart)).toBeLessThan(0);
  });

  it('treats close latencies as equal, so equal servers tie one call at a time and in-flight calls decide', () => {
    const a = learnt(1.5);
    const b = learnt(3.2); // within 1.5 x 1.5 + 1 ms
    expect(a.compare(b)).toBe(0);
    expect(b.compare(a)).toBe(0);
    a.picked();
    expect(b.compare(a)).toBeLessThan(0);
  });

  it('weighs in-flight calls by latency when latencies differ beyond noise', () => {
    const slow = learnt(50);
    const fast = learnt(5);
    for (let i = 0; i < 8; i++) fast.picked(); // 9 x 5 = 45 ms against 1 x 50 ms
    expect(fast.compare(slow)).toBeLessThan(0);
    fast.picked();
    fast.picked(); // 11 x 5 = 55 ms
    expect(slow.compare(fast)).toBeLessThan(0);
    expect(fast.compare(slow)).toBeGreaterThan(0);
  });

  it('similarLatency: at most 1.5 x the smaller + 1 ms', () => {
    expect(similarLatency(1, 2.5)).toBe(true);
    expect(similarLatency(2.5, 1)).toBe(true);
    expect(similarLatency(1, 2.51)).toBe(false);
    expect(similarLatency(20, 31)).toBe(true);
    expect(similarLatency(5, 50)).toBe(false);
    expect(similarLatency(10, 30)).toBe(false);
  });

  it('hardly lets one stalled call move the figure of an instance', () => {
    const { load } = make();
    load.sample(100, 1000, 'ok');
    for (let i = 1; i < TRUSTED_AFTER_SAMPLES; i++) load.sample(2, 1000, 'ok');
    expect(similarLatency(load.latencyMs!, 2)).toBe(true); // the plain mean would be 6.9 ms
    expect(load.compare(learnt(2))).toBe(0);
  });

  it('learns its first figures as a plain (geometric) mean, then decays by time', () => {
    const { load } = make(1000);
    expect(load.latencyMs).toBeUndefined();
    load.sample(20, 1000, 'ok');
    expect(load.latencyMs).toBeCloseTo(20, 9);
    load.sample(5, 1000, 'ok');
    expect(load.latencyMs).toBeCloseTo(10, 9);

    const { load: spaced } = make(1000);
    spaced.sample(10, 0, 'ok');
    spaced.sample(1, 1000, 'ok'); // one time constant later: the old figure keeps a weight of 1/e
    expect(spaced.latencyMs).toBeCloseTo(Math.exp(Math.log(10) / Math.E), 6);
  });

  it('never lets a failure make an instance look faster; a cancelled call leaves it as it was', () => {
    const { load } = make(1000);
    load.sample(0.2, 0, 'failed'); // no figure yet: a fast failure does not become one
    expect(load.latencyMs).toBeUndefined();
    load.sample(10, 0, 'ok');
    load.sample(0.2, 0, 'failed'); // counts as 20 ms
    const figure = Math.sqrt(10 * 20);
    expect(load.latencyMs).toBeCloseTo(figure, 9);
    load.sample(0.1, 0, 'cancelled');
    expect(load.latencyMs).toBeCloseTo(figure, 9);
    const call = load.picked();
    call.start();
    call.end('cancelled');
    expect(load.inflight).toBe(0);
    expect(load.latencyMs).toBeCloseTo(figure, 9);
  });
});
