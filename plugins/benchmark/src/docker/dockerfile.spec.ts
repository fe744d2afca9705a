import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describeWithShared } from '@bulkhead/testing';
import { checkDockerfile, lintDockerfile } from './dockerfile';

const ids = (content: string): string[] => lintDockerfile(content).map((p) => `${p.line}:${p.id}`);

describe('Dockerfile checks', () => {
  it('flags hadolint rules with their ids and lines', () => {
    const content = [
      'FROM ubuntu:latest AS build', // 1 DL3007
      'MAINTAINER someone', // 2 DL4000
      'WORKDIR app', // 3 DL3000
      // DL3009 is hadolint's for the final stage only (an earlier stage's lists never reach the image).
      'RUN apt-get update && apt-get install -y curl git=1:2.39 && cd /tmp', // 4 DL3008 DL3015 DL3003
      'RUN curl -s https://example.com/x | sh', // 5 DL4006
      'RUN sudo make install', // 6 DL3004
      'RUN apt install -y vim', // 7 DL3027 DL3059 (four RUNs in a row)
      'FROM alpine', // 8 DL3006
      'RUN apk add curl', // 9 DL3018 DL3019
      'ADD app.jar /app/', // 10 DL3020 (also CIS-DI-0009: one finding, references name both)
      'ADD https://example.com/a.tgz /tmp/', // 11 CIS-DI-0009 only
      'ENV API_TOKEN=abc GPG_KEY=123', // 12 CIS-DI-0010
      'USER root', // 13 DL3002 (also CIS-DI-0001: one finding)
      'CMD node server.js', // 14 DL3025
    ].join('\n');
    expect(ids(content)).toEqual([
      '1:DL3007',
      '2:DL4000',
      '3:DL3000',
      '4:DL3003',
      '4:DL3008',
      '4:DL3015',
      '5:DL4006',
      '6:DL3004',
      '7:DL3027',
      '7:DL3059',
      '8:CIS-DI-0006',
      '8:DL3006',
      '9:DL3018',
      '9:DL3019',
      '10:DL3020',
      '11:CIS-DI-0009',
      '12:CIS-DI-0010',
      '13:DL3002',
      '14:DL3025',
    ]);
  });

  it('passes a careful Dockerfile', () => {
    const content = [
      'FROM debian:12.5-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000',
      'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
      'RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10 && rm -rf /var/lib/apt/lists/*',
      'RUN curl -s https://example.com | tee /tmp/x',
      'COPY app /app',
      'WORKDIR /app',
      'USER 10001',
      'HEALTHCHECK CMD ["/app/health"]',
      'ENTRYPOINT ["/app/run"]',
    ].join('\n');
    expect(ids(content)).toEqual([]);
    const report = checkDockerfile(content, 'Dockerfile');
    expect(report.summary).toMatchObject({ FAIL: 0, WARN: 0, INFO: 0 });
    expect(report.summary.PASS).toBeGreaterThan(15);
  });

  it('flags apt-get update alone (CIS-DI-0007) and builds stage aliases without a tag', () => {
    expect(ids('FROM node:20 AS deps\nRUN apt-get update\nFROM deps\nUSER app\nHEALTHCHECK NONE\n')).toEqual(['2:CIS-DI-0007', '2:DL3009']);
  });
});

describeWithShared('Dockle Dockerfiles', (shared) => {
  const dir = path.join(shared, 'peers/dockle/pkg/scanner/testdata');
  it('Dockerfile.base: root user, no healthcheck, ADD, a password in ENV, unpinned apt', () => {
    const report = checkDockerfile(readFileSync(path.join(dir, 'Dockerfile.base'), 'utf8'), 'Dockerfile.base');
    const found = report.results.filter((r) => r.status !== 'PASS').map((r) => `${r.line}:${r.checkId}:${r.status}`);
    expect(found).toEqual([
      '1:CIS-DI-0001:WARN',
      '1:CIS-DI-0006:INFO',
      '3:DL3008:WARN',
      '3:DL3009:INFO',
      '3:DL3015:INFO',
      '5:DL3020:FAIL',
      '9:CIS-DI-0010:FAIL',
    ]);
  });
  it('Dockerfile.scratch: ADD and no healthcheck, but a non-root USER', () => {
    const report = checkDockerfile(readFileSync(path.join(dir, 'Dockerfile.scratch'), 'utf8'), 'Dockerfile.scratch');
    expect(report.results.filter((r) => r.status !== 'PASS').map((r) => r.checkId)).toEqual(['CIS-DI-0006', 'DL3020']);
  });
});
