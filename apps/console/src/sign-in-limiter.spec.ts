import { SignInLimiter } from './sign-in-limiter';

describe('SignInLimiter', () => {
  it('allows a burst of attemptsPerMinute per address, then one per 60/n seconds', () => {
    let now = 0;
    const limiter = new SignInLimiter({ attemptsPerMinute: 10, now: () => now });
    for (let i = 0; i < 10; i++) expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(6);
    expect(limiter.take('b')).toBe(0); // another address has its own bucket
    now += 6000;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
    now += 60_000;
    for (let i = 0; i < 10; i++) expect(limiter.take('a')).toBe(0);
  });

  it('keeps at most maxAddresses buckets, forgetting full ones first', () => {
    let now = 0;
    const limiter = new SignInLimiter({ attemptsPerMinute: 2, maxAddresses: 2, now: () => now });
    limiter.take('a');
    limiter.take('a');
    now += 60_000; // a is full again
    limiter.take('b');
    limiter.take('b');
    limiter.take('c'); // a is forgotten, b (empty) is kept
    expect(limiter.take('b')).toBeGreaterThan(0);
  });
});
