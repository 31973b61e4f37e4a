module.exports = { ...require('../../jest.preset.js'), displayName: 'metrics-probe', rootDir: __dirname };
