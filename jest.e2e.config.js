/** Browser journeys in Debian's Chromium through playwright-core. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'], '^.+\\.m?js$': ['@swc/jest'] },
  // @tus/server, @tus/utils and srvx ship only ES modules, which Jest cannot require on Node 20: compile them.
  transformIgnorePatterns: ['/node_modules/(?!(@tus/server|@tus/utils|srvx)/)'],
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 90000,
};
