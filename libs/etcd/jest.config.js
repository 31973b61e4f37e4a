module.exports = { ...require('../../jest.preset.js'), displayName: 'etcd', rootDir: __dirname };
