import * as host from './errors';

/** A second, separately loaded copy of the errors module: what a plugin bundling its own SDK has. */
function loadSecondCopy(): typeof host {
  let copy: typeof host | undefined;
  jest.isolateModules(() => {
    copy = jest.requireActual<typeof host>('./errors');
  });
  if (!copy) throw new Error('isolateModules did not load the module');
  return copy;
}

describe('SDK errors across package copies', () => {
  const plugin = loadSecondCopy();

  it('loads a really distinct copy (the prototype chains differ)', () => {
    expect(plugin.BadInputError).not.toBe(host.BadInputError);
    const error = new plugin.BadInputError('corrupt archive');
    expect(Object.getPrototypeOf(error)).not.toBe(host.BadInputError.prototype);
    expect(Object.prototype.isPrototypeOf.call(host.BadInputError.prototype, error)).toBe(false);
  });

  it("treats the plugin copy's BadInputError and TaskInputError as permanent in the host", () => {
    expect(host.isPermanentError(new plugin.BadInputError('corrupt archive'))).toBe(true);
    expect(host.isPermanentError(new plugin.TaskInputError('scan-image', ['source: required']))).toBe(true);
    expect(plugin.isPermanentError(new host.BadInputError('x'))).toBe(true);
  });

  it('answers instanceof from the brand, so Nest @Catch filters match either copy', () => {
    const badInput = new plugin.BadInputError('corrupt archive');
    const taskInput = new plugin.TaskInputError('scan-image', ['source: required']);
    expect(badInput instanceof host.BadInputError).toBe(true);
    expect(taskInput instanceof host.TaskInputError).toBe(true);
    expect(badInput instanceof host.TaskInputError).toBe(false);
    expect(taskInput instanceof host.BadInputError).toBe(false);
    expect(host.bulkheadErrorCode(badInput)).toBe('BULKHEAD_BAD_INPUT');
    expect(badInput.code).toBe(host.ERROR_CODES.badInput);
    expect(taskInput.issues).toEqual(['source: required']);
  });

  it('does not take other errors for permanent ones', () => {
    for (const value of [new Error('ECONNRESET'), { code: 'BULKHEAD_BAD_INPUT' }, null, undefined, 'BadInputError', Object.assign(new Error('x'), { name: 'BadInputError' })]) {
      expect(host.isPermanentError(value)).toBe(false);
      expect(value instanceof host.BadInputError).toBe(false);
    }
  });

  it('keeps ordinary instanceof for subclasses while they stay permanent', () => {
    class CorruptLayerError extends plugin.BadInputError {}
    const error = new CorruptLayerError('layer 2: truncated');
    expect(error instanceof CorruptLayerError).toBe(true);
    expect(error instanceof host.BadInputError).toBe(true);
    expect(new host.BadInputError('x') instanceof CorruptLayerError).toBe(false);
    expect(host.isPermanentError(error)).toBe(true);
  });
});
