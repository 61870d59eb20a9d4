/** Unit and integration tests: real SQLite always, MariaDB/Redis when TEST_* variables are set. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  roots: ['<rootDir>/test/unit', '<rootDir>/test/integration'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 30000,
  maxWorkers: 2,
};
