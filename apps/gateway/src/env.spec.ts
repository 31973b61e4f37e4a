import { parseGatewayEnv } from './env';

describe('gateway environment', () => {
  it('applies defaults', () => {
    expect(parseGatewayEnv({ ETCD_ENDPOINTS: 'etcd:2379' })).toMatchObject({ GATEWAY_PORT: 8080, GREETER_TARGET: 'etcd:///greeter', LB_POLICY: 'p2c', GRPC_DEADLINE_MS: 3000 });
  });

  it('fails fast naming every bad variable', () => {
    expect(() => parseGatewayEnv({ GREETER_TARGET: 'dns:///greeter', LB_POLICY: 'random' })).toThrow(
      /^invalid environment: ETCD_ENDPOINTS: is required.*; GREETER_TARGET: .*etcd:\/\/\/.*; LB_POLICY: /,
    );
  });
});
