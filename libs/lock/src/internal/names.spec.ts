import { Session } from '@etcd-patterns/etcd';
import { isLockError, LockError } from '../errors';
import { MAX_NAME_BYTES, nameKeys, validateName } from './names';

describe('validateName', () => {
  it.each([
    ['locks/jobs', 'a plain path'],
    ['a', 'one character'],
    ['/abs/olute', 'a leading slash'],
    ['ünïcødé ✓', 'non-ASCII text'],
  ])('accepts %j (%s)', (name) => {
    expect(validateName(name, 'lock')).toBe(name);
  });

  it.each([
    [undefined, 'must be a string'],
    [42, 'must be a string'],
    ['', 'must not be empty'],
    ['jobs/', 'must not end with "/"'],
    ['a\nb', 'control characters'],
    ['a\u0000b', 'control characters'],
    ['bad\ud800', 'well-formed Unicode'],
    ['x'.repeat(MAX_NAME_BYTES + 1), `at most ${MAX_NAME_BYTES} bytes`],
  ])('rejects %j with LOCK_INVALID_NAME', (name, why) => {
    let thrown: unknown;
    try {
      validateName(name, 'election');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LockError);
    expect(isLockError(thrown, 'LOCK_INVALID_NAME')).toBe(true);
    expect((thrown as LockError).retryable).toBe(false);
    expect((thrown as LockError).message).toContain(why);
    expect((thrown as LockError).message).toContain('election');
  });
});

describe('nameKeys', () => {
  it('builds the Go layout NAME/<lowercase hex lease id, not padded>', () => {
    // Session.leaseIdHex is BigInt(leaseId).toString(16): lease 255 is "ff", not "00000000000000ff".
    const session = { leaseIdHex: 'ff' } as Session;
    expect(nameKeys(session, 'my-lock')).toEqual({
      name: 'my-lock',
      prefix: 'my-lock/',
      key: 'my-lock/ff',
    });
  });
});
