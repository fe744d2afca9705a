import { declareSensitiveArguments } from '@bulkhead/plugin-sdk/api';
import { parse } from 'graphql';
import { redactSensitiveArguments, REDACTED } from './audit-redaction';

describe('audit redaction of sensitive arguments', () => {
  beforeAll(() => declareSensitiveArguments('importThing', ['secretKey', 'password']));

  it('replaces literal values in the query text and the variables they use, leaving the rest', () => {
    const source = 'mutation($k: String!, $n: String!) { importThing(name: $n, secretKey: $k, password: "hunter2") { id } }';
    const result = redactSensitiveArguments(parse(source), source, { k: '-----BEGIN KEY-----', n: 'release' });
    expect(result.variables).toEqual({ k: REDACTED, n: 'release' });
    expect(result.query).toContain(`password: "${REDACTED}"`);
    expect(result.query).not.toContain('hunter2');
    expect(result.query).toContain('name: $n');
  });

  it('finds the field inside fragments too', () => {
    const source = 'mutation { ...F } fragment F on Mutation { importThing(name: "a", password: "hunter2") { id } }';
    expect(redactSensitiveArguments(parse(source), source, {}).query).not.toContain('hunter2');
  });

  it('leaves operations without declared arguments as they were sent', () => {
    const source = 'mutation { other(password: "kept by this rule, redacted by the store by key name") }';
    expect(redactSensitiveArguments(parse(source), source, { a: 1 })).toEqual({ query: source, variables: { a: 1 } });
  });
});
