import { ZodError } from 'zod';
import { createJobHeaders, helloQuery, parseInput, servicesQuery } from './validation';

function issues(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (error) {
    if (error instanceof ZodError) return error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('helloQuery', () => {
  it('takes one name, trimmed', () => {
    expect(parseInput(helloQuery, { name: ' Ada ' })).toEqual({ name: 'Ada' });
  });

  it('says a missing name is required, a repeated one is given twice', () => {
    expect(issues(() => parseInput(helloQuery, {}))).toEqual([{ path: 'name', message: 'is required' }]);
    // `?name=Ada&name=Bob` as express parses it
    expect(issues(() => parseInput(helloQuery, { name: ['Ada', 'Bob'] }))).toEqual([{ path: 'name', message: 'is given 2 times; give it once' }]);
    expect(issues(() => parseInput(helloQuery, { name: { a: '1' } }))).toEqual([{ path: 'name', message: 'must be a string' }]);
  });

  it('keeps the length limits', () => {
    expect(issues(() => parseInput(helloQuery, { name: '  ' }))).toEqual([{ path: 'name', message: 'must not be empty' }]);
    expect(issues(() => parseInput(helloQuery, { name: 'x'.repeat(5000) }))).toEqual([{ path: 'name', message: 'must be at most 100 characters' }]);
  });
});

describe('servicesQuery', () => {
  it('takes an optional single service', () => {
    expect(parseInput(servicesQuery, {})).toEqual({});
    expect(parseInput(servicesQuery, { service: 'greeter' })).toEqual({ service: 'greeter' });
    expect(issues(() => parseInput(servicesQuery, { service: ['greeter', 'worker', 'x'] }))).toEqual([{ path: 'service', message: 'is given 3 times; give it once' }]);
  });
});

describe('createJobHeaders', () => {
  it('makes the Idempotency-Key optional and ignores other headers', () => {
    expect(parseInput(createJobHeaders, { 'content-type': 'application/json' })).toEqual({});
  });

  it('accepts UUIDs and similar keys, quoted (IETF structured field) or not', () => {
    const key = '8e03978e-40d5-43e8-bc93-6894a57f9324';
    expect(parseInput(createJobHeaders, { 'idempotency-key': key })).toEqual({ 'idempotency-key': key });
    expect(parseInput(createJobHeaders, { 'idempotency-key': `"${key}"` })).toEqual({ 'idempotency-key': key });
    expect(parseInput(createJobHeaders, { 'idempotency-key': 'order:4711/retry=1_a.b~c+d' })['idempotency-key']).toBe('order:4711/retry=1_a.b~c+d');
  });

  it('rejects short, long, and odd keys, and a key given twice', () => {
    const bad = (value: string) => issues(() => parseInput(createJobHeaders, { 'idempotency-key': value }));
    expect(bad('short')).toEqual([{ path: 'idempotency-key', message: 'must be at least 8 characters (a UUID is a good key)' }]);
    expect(bad('k'.repeat(256))).toEqual([{ path: 'idempotency-key', message: 'must be at most 255 characters' }]);
    expect(bad('has a space')[0]?.message).toMatch(/may contain only letters, digits/);
    expect(bad('ünïcode-key')[0]?.message).toMatch(/may contain only/);
    // Node joins repeated headers with ", "
    expect(bad('key-number-1, key-number-2')[0]?.message).toMatch(/given once/);
  });
});
