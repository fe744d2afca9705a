// Jest setup file of the `integration` project (jest.config.cjs). Integration suites start real
// processes and talk to Postgres and Redis; on a busy machine a test or hook can take far more
// than Jest's default 5 s. Jest reads `testTimeout` only from the top-level configuration, not
// from a project's (jestjs/jest#9759), so the integration project sets its limit here.
jest.setTimeout(120_000);
