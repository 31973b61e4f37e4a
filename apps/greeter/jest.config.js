module.exports = { ...require('../../jest.preset.js'), displayName: 'greeter', rootDir: __dirname };
