module.exports = { ...require('../../jest.preset.js'), displayName: 'readme', rootDir: __dirname };
