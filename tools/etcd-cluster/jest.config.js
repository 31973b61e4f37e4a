module.exports = { ...require('../../jest.preset.js'), displayName: 'etcd-cluster', rootDir: __dirname };
