import { parseGatewayEnv } from './env';

describe('gateway environment', () => {
  it('applies defaults', () => {
    expect(parseGatewayEnv({ ETCD_ENDPOINTS: 'etcd:2379' })).toMatchObject({ GATEWAY_PORT: 8080, GREETER_TARGET: 'etcd:///greeter', LB_POLICY: 'p2c', GRPC_DEADLINE_MS: 3000 });
  });

  it('bounds how long a client may take to send a request', () => {
    expect(parseGatewayEnv({ ETCD_ENDPOINTS: 'etcd:2379' })).toMatchObject({ GATEWAY_HEADERS_TIMEOUT_MS: 10_000, GATEWAY_REQUEST_TIMEOUT_MS: 30_000 });
    expect(() => parseGatewayEnv({ ETCD_ENDPOINTS: 'etcd:2379', GATEWAY_HEADERS_TIMEOUT_MS: '5000', GATEWAY_REQUEST_TIMEOUT_MS: '1000' })).toThrow(
      /GATEWAY_HEADERS_TIMEOUT_MS: must not exceed GATEWAY_REQUEST_TIMEOUT_MS/,
    );
    expect(() => parseGatewayEnv({ ETCD_ENDPOINTS: 'etcd:2379', GATEWAY_REQUEST_TIMEOUT_MS: '0' })).toThrow(/GATEWAY_REQUEST_TIMEOUT_MS/);
  });

  it('fails fast naming every bad variable', () => {
    expect(() => parseGatewayEnv({ GREETER_TARGET: 'dns:///greeter', LB_POLICY: 'random' })).toThrow(
      /^invalid environment: ETCD_ENDPOINTS: is required.*; GREETER_TARGET: .*etcd:\/\/\/.*; LB_POLICY: /,
    );
  });
});
