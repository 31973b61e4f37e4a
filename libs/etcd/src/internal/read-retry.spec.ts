import { GRPCDeadlineExceededError, GRPCUnavailableError, type ICallable } from 'etcd3';
import { RANGE_KEY_VALUES } from './decoded-range';
import { installReadRetry } from './read-retry';

/** A connection pool whose calls fail with `fail()` until `answerAfter` calls were made. */
function fakePool(fail: () => Error, answerAfter = Infinity): { pool: ICallable<unknown>; calls: () => number } {
  let calls = 0;
  const pool = {
    exec: () => {
      calls++;
      return calls > answerAfter ? Promise.resolve('answer') : Promise.reject(fail());
    },
  } as unknown as ICallable<unknown>;
  return { pool, calls: () => calls };
}

const range = (pool: ICallable<unknown>): Promise<unknown> => pool.exec('KV', 'range', { key: Buffer.from('k') });
const timeout = (): Error => new GRPCDeadlineExceededError('deadline exceeded');
const unavailable = (): Error => new GRPCUnavailableError('unavailable');

describe('installReadRetry', () => {
  it('stops a read after 2 timeouts on 3 members (one frozen member is tolerated, a silent majority is not)', async () => {
    const { pool, calls } = fakePool(timeout);
    installReadRetry(pool, 4, 3);
    await expect(range(pool)).rejects.toBeInstanceOf(GRPCDeadlineExceededError);
    expect(calls()).toBe(2);
  });

  it('tolerates 2 timeouts on 5 members, and a read that times out once then answers succeeds', async () => {
    const five = fakePool(timeout);
    installReadRetry(five.pool, 6, 5);
    await expect(range(five.pool)).rejects.toBeInstanceOf(GRPCDeadlineExceededError);
    expect(five.calls()).toBe(3);
    const once = fakePool(timeout, 1);
    installReadRetry(once.pool, 4, 3);
    await expect(range(once.pool)).resolves.toBe('answer');
    expect(once.calls()).toBe(2);
  });

  it('still uses every attempt for fast failures (unavailable members cost no deadline)', async () => {
    const { pool, calls } = fakePool(unavailable);
    installReadRetry(pool, 4, 3);
    await expect(range(pool)).rejects.toBeInstanceOf(GRPCUnavailableError);
    expect(calls()).toBe(4);
  });

  it('retries the decoded range read (decoded-range.ts) like a range', async () => {
    const { pool, calls } = fakePool(unavailable, 2);
    installReadRetry(pool, 4, 3);
    await expect(pool.exec('KV', RANGE_KEY_VALUES, { key: Buffer.from('k') })).resolves.toBe('answer');
    expect(calls()).toBe(3);
  });

  it('never retries a write that may have been sent, but retries one that never was', async () => {
    const sent = fakePool(unavailable);
    installReadRetry(sent.pool, 4, 3);
    await expect(sent.pool.exec('KV', 'put', { key: Buffer.from('k') })).rejects.toBeInstanceOf(GRPCUnavailableError);
    expect(sent.calls()).toBe(1);
    const neverSent = fakePool(() => new GRPCUnavailableError('14 UNAVAILABLE: No connection established'), 2);
    installReadRetry(neverSent.pool, 4, 3);
    await expect(neverSent.pool.exec('KV', 'put', { key: Buffer.from('k') })).resolves.toBe('answer');
    expect(neverSent.calls()).toBe(3);
  });
});
