/** Browser journeys in Debian's Chromium through playwright-core. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 90000,
};
