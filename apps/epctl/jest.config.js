module.exports = { ...require('../../jest.preset.js'), displayName: 'epctl', rootDir: __dirname };
