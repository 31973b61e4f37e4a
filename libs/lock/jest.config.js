module.exports = { ...require('../../jest.preset.js'), displayName: 'lock', rootDir: __dirname };
