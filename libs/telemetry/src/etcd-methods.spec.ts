import { isEtcdGrpcMethod } from './etcd-methods';

describe('isEtcdGrpcMethod', () => {
  it('matches etcd methods in every form the gRPC instrumentation passes', () => {
    for (const name of ['Range', 'range', 'LeaseKeepAlive', 'leaseKeepAlive', 'Watch', 'etcdserverpb.KV/Txn', '/etcdserverpb.Lease/LeaseGrant', 'v3lockpb.Lock/Lock']) {
      expect(isEtcdGrpcMethod(name)).toBe(true);
    }
  });

  it('leaves the apps methods traced', () => {
    for (const name of ['SayHello', 'sayHello', 'greeter.v1.GreeterService/SayHello', 'SubmitJob', 'GetJob']) {
      expect(isEtcdGrpcMethod(name)).toBe(false);
    }
  });
});
