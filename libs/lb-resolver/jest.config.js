module.exports = { ...require('../../jest.preset.js'), displayName: 'lb-resolver', rootDir: __dirname };
