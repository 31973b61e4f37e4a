import { exportedProtoConstants, exportedProtoTypes, withProtoExports } from './protos-index';

const INDEX = `import { join } from 'node:path';
export const PROTO_ROOT = __dirname;
export const A_PROTO = join(PROTO_ROOT, 'a/v1/a.proto');
export const A_PACKAGE = 'a.v1';
export const A_SERVICE = 'AService';
export type { X, X__Output as Y } from './generated/a/v1/X';
`;

describe('protos/index.ts edits', () => {
  it('reads the constants and the exported type names (aliases included)', () => {
    expect([...exportedProtoConstants(INDEX)]).toEqual(['A']);
    expect([...exportedProtoTypes(INDEX)]).toEqual(['X', 'Y']);
  });

  it('adds a contract after the last lines of each kind', () => {
    const out = withProtoExports(INDEX, { constantName: 'B', protoFile: 'b/v1/b.proto', protoPackage: 'b.v1', serviceName: 'BService', messages: ['M'] });
    expect(out).toBe(`import { join } from 'node:path';
export const PROTO_ROOT = __dirname;
export const A_PROTO = join(PROTO_ROOT, 'a/v1/a.proto');
/** \`protos/b/v1/b.proto\`, absolute. */
export const B_PROTO = join(PROTO_ROOT, 'b/v1/b.proto');
export const A_PACKAGE = 'a.v1';
export const A_SERVICE = 'AService';
export const B_PACKAGE = 'b.v1';
export const B_SERVICE = 'BService';
export type { X, X__Output as Y } from './generated/a/v1/X';
export type { M, M__Output } from './generated/b/v1/M';
export type { BServiceClient, BServiceHandlers } from './generated/b/v1/BService';
`);
  });

  it('refuses a contract that is there already', () => {
    expect(() => withProtoExports(INDEX, { constantName: 'A', protoFile: 'a', protoPackage: 'a', serviceName: 'S', messages: [] })).toThrow(expect.objectContaining({ code: 'ALREADY_EXISTS' }));
  });
});
