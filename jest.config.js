/** Unit and integration tests: real SQLite always, MariaDB/Redis when TEST_* variables are set. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'], '^.+\\.m?js$': ['@swc/jest'] },
  // @tus/server, @tus/utils and srvx ship only ES modules, which Jest cannot require on Node 20: compile them.
  transformIgnorePatterns: ['/node_modules/(?!(@tus/server|@tus/utils|srvx)/)'],
  roots: ['<rootDir>/test/unit', '<rootDir>/test/integration'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 30000,
  maxWorkers: 2,
};
