import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** PEM material of a throw-away CA, a server certificate for 127.0.0.1 and a client certificate. */
export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  /** A client certificate (CN `bulkhead-reader`) signed by the same CA: kubeconfig client-certificate auth. */
  clientCert: string;
  clientKey: string;
}

let cached: TestPki | undefined;

/**
 * Makes the PKI with the `openssl` command (tests and benchmarks only; EC P-256, valid one day).
 * Made once per process.
 */
export function testPki(): TestPki {
  if (cached) return cached;
  const dir = mkdtempSync(path.join(tmpdir(), 'bh-kube-pki-'));
  const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=stand-in-kube-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
    writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const [name, cn, ext] of [['server', 'kube-apiserver', 'server.ext'], ['client', 'bulkhead-reader', 'client.ext']] as const) {
      run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', `${name}.crt`);
    }
    const read = (f: string): string => readFileSync(path.join(dir, f), 'utf8');
    cached = { ca: read('ca.crt'), serverCert: read('server.crt'), serverKey: read('server.key'), clientCert: read('client.crt'), clientKey: read('client.key') };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
