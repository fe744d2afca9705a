// Integration tests start real processes and talk to Postgres and Redis; on a loaded 2-core
// machine a step can take well over Jest's 5 s default. `testTimeout` is a global option that a
// project entry cannot set, so the integration project sets it here.
jest.setTimeout(120000);
