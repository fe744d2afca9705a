import type { CliHost } from '@bulkhead/plugin-sdk/cli';

/** A CliHost for tests: output captured, exit code recorded, no inline task runner or server. */
export function testCliHost(): CliHost & { stdout: () => string; stderr: () => string; code: () => number | undefined } {
  let out = '';
  let err = '';
  let code: number | undefined;
  return {
    out: (text) => void (out += text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => void (err += text.endsWith('\n') ? text : `${text}\n`),
    runTask: () => Promise.reject(new Error('not in this test')),
    progressPrinter: () => () => undefined,
    interruptible: (work) => work(new AbortController().signal),
    server: () => {
      throw new Error('not in this test');
    },
    exit: (c) => void (code = c),
    stdout: () => out,
    stderr: () => err,
    code: () => code,
  };
}
