import { NotFoundException } from '@nestjs/common';
import { ConfigConflictError, ConfigValidationError } from '@etcd-patterns/config';
import { EtcdPatternsError } from '@etcd-patterns/etcd';
import * as etcd3 from 'etcd3';
import { z } from 'zod';
import { ApiException, errorAnswer } from './api-error';

describe('errorAnswer', () => {
  it('maps etcd-patterns codes to statuses, permission denied with its message prefix', () => {
    const denied = errorAnswer(new EtcdPatternsError('ETCD_PERMISSION_DENIED', 'writing /x: etcdserver: permission denied'));
    expect(denied).toEqual({ status: 403, body: { error: { code: 'ETCD_PERMISSION_DENIED', message: 'permission denied: writing /x: etcdserver: permission denied' } } });
    expect(errorAnswer(new EtcdPatternsError('ETCD_UNAVAILABLE', 'down')).status).toBe(503);
    expect(errorAnswer(new EtcdPatternsError('ETCD_COMPACTED', 'old')).status).toBe(410);
    expect(errorAnswer(new EtcdPatternsError('ETCD_AUTH_FAILED', 'token')).status).toBe(401);
    expect(errorAnswer(new ConfigConflictError(1, 2, 'dev/app')).status).toBe(409);
    expect(errorAnswer(new EtcdPatternsError('ETCD_INTERNAL', 'secret internals'))).toEqual({ status: 500, body: { error: { code: 'ETCD_INTERNAL', message: 'internal error (ETCD_INTERNAL)' } } });
  });

  it('maps the errors etcd3 throws for auth administration by class', () => {
    expect(errorAnswer(new etcd3.EtcdUserExistsError('etcdserver: user name already exists'))).toMatchObject({ status: 409, body: { error: { code: 'ETCD_ALREADY_EXISTS' } } });
    expect(errorAnswer(new etcd3.EtcdRoleNotFoundError('etcdserver: role name not found'))).toMatchObject({ status: 404 });
    expect(errorAnswer(new etcd3.EtcdPermissionDeniedError('etcdserver: permission denied'))).toMatchObject({ status: 403 });
  });

  it('keeps issues with their positions, conflicts with both sides, and extra headers', () => {
    const validation = new ConfigValidationError([{ path: 'port', message: 'Expected number', at: '2:7' }], 'config dev/app does not match');
    expect(errorAnswer(validation).body.error.issues).toEqual([{ path: 'port', message: 'Expected number', at: '2:7' }]);
    const conflict = new ApiException(409, 'CONFLICT', 'changed', { conflict: { yours: 'a', theirs: 'b', theirsModRevision: 9 }, headers: { 'Retry-After': '1' } });
    expect(errorAnswer(conflict)).toEqual({ status: 409, body: { error: { code: 'CONFLICT', message: 'changed', conflict: { yours: 'a', theirs: 'b', theirsModRevision: 9 } } }, headers: { 'Retry-After': '1' } });
  });

  it('answers bad input 400, body-parser errors as they are, unknown routes 404, bugs 500 without internals', () => {
    const zod = z.object({ a: z.number() }).safeParse({ a: 'x' });
    expect(errorAnswer(zod.error)).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST', issues: [{ path: 'a' }] } } });
    expect(errorAnswer(Object.assign(new Error('request entity too large'), { status: 413, expose: true, type: 'entity.too.large' }))).toMatchObject({ status: 413, body: { error: { code: 'TOO_LARGE' } } });
    expect(errorAnswer(Object.assign(new Error('Unexpected token'), { status: 400, expose: true }))).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    expect(errorAnswer(new NotFoundException('Cannot GET /x'))).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(errorAnswer(new TypeError('x is undefined'))).toEqual({ status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } });
  });
});
