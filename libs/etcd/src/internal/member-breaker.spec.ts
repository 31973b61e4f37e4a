import { BrokenCircuitError } from 'cockatiel';
import { GRPCDeadlineExceededError } from 'etcd3';
import { memberFaultPolicies } from './member-breaker';

const timeout = (): never => {
  throw new GRPCDeadlineExceededError('deadline exceeded');
};

describe('memberFaultPolicies', () => {
  it('skips a member right after a call to it timed out, without calling it', async () => {
    const members = memberFaultPolicies(3);
    const a = members.forMember();
    await expect(a.execute(timeout)).rejects.toBeInstanceOf(GRPCDeadlineExceededError);
    let called = false;
    await expect(a.execute(() => (called = true))).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(called).toBe(false);
  });

  it('never skips every member of a client', async () => {
    const members = memberFaultPolicies(2);
    const a = members.forMember();
    const b = members.forMember();
    await expect(a.execute(timeout)).rejects.toBeInstanceOf(GRPCDeadlineExceededError);
    await expect(b.execute(timeout)).rejects.toBeInstanceOf(GRPCDeadlineExceededError);
    // Both timed out: one of them still takes calls, so the client does not fail fast.
    const results = await Promise.allSettled([a.execute(() => 'a'), b.execute(() => 'b')]);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(1);
  });

  it('does not skip after other errors, and a single endpoint is never skipped', async () => {
    const a = memberFaultPolicies(3).forMember();
    await expect(a.execute(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await a.execute(() => 'ok')).toBe('ok');
    const only = memberFaultPolicies(1).forMember();
    await expect(only.execute(timeout)).rejects.toBeInstanceOf(GRPCDeadlineExceededError);
    expect(await only.execute(() => 'still called')).toBe('still called');
  });
});
