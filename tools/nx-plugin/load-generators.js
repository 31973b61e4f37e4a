// The generators' entry point for Nx. They are TypeScript source, like the rest of the
// workspace; Nx 23 loads .ts generators only through @swc-node/register or ts-node, neither of
// which this workspace installs (and Node 20 cannot strip types). tsx, the apps' loader, compiles
// them instead, in its own namespace: nothing else Nx requires goes through it.
const { register } = require('tsx/cjs/api');

const tsx = register({ namespace: 'etcd-patterns-nx-plugin' });
module.exports = tsx.require('./src/index.ts', __filename);
