import { EtcdPatternsError } from '@etcd-patterns/etcd';
import { EXIT, EXIT_CODES_HELP, exitCodeOf } from './exit-codes';

const error = (code: string): EtcdPatternsError => new EtcdPatternsError(code, `${code} happened`);

describe('exit codes', () => {
  it('keeps 0-8 and adds 9-11', () => {
    expect(Object.values(EXIT)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('lists every code in the help text', () => {
    for (const code of Object.values(EXIT)) expect(EXIT_CODES_HELP).toMatch(new RegExp(`^  ${code} `, 'm'));
  });

  it('maps error codes by string', () => {
    expect(
      Object.fromEntries(
        [
          'CONFIG_VALIDATION_FAILED', 'CONFIG_CONFLICT', 'ETCD_AUTH_FAILED', 'ETCD_UNAVAILABLE', 'CONFIG_NOT_FOUND', 'ETCD_INVALID_CONFIG',
          'ETCD_NOSPACE', 'ETCD_CORRUPT', 'OPS_SNAPSHOT_INVALID', 'OPS_MEMBER_NOT_FOUND', 'OPS_ENDPOINT_UNREACHABLE',
          'OPS_TOOL_MISSING', 'OPS_RESTORE_FAILED', 'OPS_INVALID_ARGUMENT', 'OPS_UNSAFE', 'SOMETHING_NEW',
        ].map((code) => [code, exitCodeOf(error(code))]),
      ),
    ).toEqual({
      CONFIG_VALIDATION_FAILED: 3, CONFIG_CONFLICT: 4, ETCD_AUTH_FAILED: 5, ETCD_UNAVAILABLE: 6, CONFIG_NOT_FOUND: 7, ETCD_INVALID_CONFIG: 2,
      ETCD_NOSPACE: 9, ETCD_CORRUPT: 10, OPS_SNAPSHOT_INVALID: 3, OPS_MEMBER_NOT_FOUND: 7, OPS_ENDPOINT_UNREACHABLE: 6,
      OPS_TOOL_MISSING: 11, OPS_RESTORE_FAILED: 1, OPS_INVALID_ARGUMENT: 2, OPS_UNSAFE: 3, SOMETHING_NEW: 1,
    });
    expect(exitCodeOf(new Error('plain'))).toBe(1);
  });
});
