import { z } from 'zod';
import { jobIdForIdempotencyKey, uuidV5 } from './idempotency';

describe('uuidV5', () => {
  it('matches the RFC 9562 example (www.example.com in the DNS namespace)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('rejects a namespace that is not a UUID', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(/not a UUID/);
  });
});

describe('jobIdForIdempotencyKey', () => {
  it('gives the same job id for the same key and another for another key', () => {
    const id = jobIdForIdempotencyKey('order-4711-attempt');
    expect(jobIdForIdempotencyKey('order-4711-attempt')).toBe(id);
    expect(jobIdForIdempotencyKey('order-4712-attempt')).not.toBe(id);
  });

  it('gives an id the worker accepts (a UUID)', () => {
    expect(z.uuid().safeParse(jobIdForIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).success).toBe(true);
  });
});
