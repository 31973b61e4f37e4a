import { parseProtoService } from './proto-service';

describe('parseProtoService', () => {
  it('reads the package, the service and its rpcs, past comments and option blocks', () => {
    const proto = `syntax = "proto3";
// service Fake { rpc No(A) returns (B); }
package shop.v1;
/* block comment { } */
service ShopService {
  rpc Get(GetRequest) returns (shop.v1.GetResponse) { option idempotency_level = NO_SIDE_EFFECTS; }
  rpc Watch(GetRequest) returns (stream GetResponse);
  rpc Upload(stream Chunk) returns (GetResponse) {}
}
message GetRequest {}
`;
    expect(parseProtoService(proto, 'shop.proto')).toEqual({
      packageName: 'shop.v1',
      serviceName: 'ShopService',
      methods: [
        { name: 'Get', requestType: 'GetRequest', responseType: 'GetResponse', requestStream: false, responseStream: false },
        { name: 'Watch', requestType: 'GetRequest', responseType: 'GetResponse', requestStream: false, responseStream: true },
        { name: 'Upload', requestType: 'Chunk', responseType: 'GetResponse', requestStream: true, responseStream: false },
      ],
    });
  });

  it('refuses a file without a package or without rpcs', () => {
    expect(() => parseProtoService('service S { rpc A(B) returns (C); }', 'x.proto')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_PROTO' }));
    expect(() => parseProtoService('package p; service S {}', 'x.proto')).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_PROTO' }));
  });
});
