import { checkDockerfile, isSecretName, lintDockerfile, tokenFormatOf, TRIVY_DS_RULES } from './dockerfile';

// hadolint rules that are Trivy DS checks too: reported once, under hadolint's id (DS008, DS007, DS016, DS023, DS006, DS012).
const TRIVY_EQUIVALENTS = ['DL3011', 'DL4004', 'DL4003', 'DL3012', 'DL3023', 'DL3024'];

const ids = (content: string): string[] =>
  lintDockerfile(content)
    .filter((p) => p.id.startsWith('DS') || p.id === 'CIS-DI-0010' || TRIVY_EQUIVALENTS.includes(p.id))
    .map((p) => `${p.line}:${p.id}`);

describe("Dockerfile checks from Trivy's DS set", () => {
  it('flags EXPOSE 22 (also inside a range) and ports out of range, not other ports or variables', () => {
    expect(ids('FROM a:1\nEXPOSE 22\nEXPOSE 22/tcp 80\nEXPOSE 20-30\nEXPOSE 65536\nEXPOSE 70000/udp\nEXPOSE 8080 443/tcp 60000-65535\nEXPOSE ${PORT}\nEXPOSE 2222\n')).toEqual([
      '2:DS004',
      '3:DS004',
      '4:DS004',
      '5:DL3011',
      '6:DL3011',
    ]);
  });

  it('flags apk/yum/dnf/microdnf/zypper update without an install in the same RUN', () => {
    const content = [
      'FROM a:1',
      'RUN apk update', // 2
      'RUN apk update && apk add curl=8.5.0-r0',
      'RUN yum update -y', // 4
      'RUN yum update -y && yum install -y httpd && yum clean all',
      'RUN dnf makecache', // 6
      'RUN microdnf update', // 7
      'RUN zypper refresh', // 8
      'RUN zypper ref && zypper in -y curl',
      'RUN apk add --no-cache curl=8.5.0-r0',
    ].join('\n');
    expect(ids(content)).toEqual(['2:DS017', '4:DS017', '6:DS017', '7:DS017', '8:DS017']);
  });

  it('flags apt-get dist-upgrade', () => {
    expect(ids('FROM a:1\nRUN apt-get update && apt-get dist-upgrade -y\nRUN apt-get update && apt-get upgrade -y\n')).toEqual(['2:DS024']);
  });

  it('flags a repeated ENTRYPOINT, CMD and HEALTHCHECK within a stage, not across stages', () => {
    const content = [
      'FROM a:1 AS build',
      'CMD ["build"]',
      'FROM b:1',
      'ENTRYPOINT ["a"]',
      'ENTRYPOINT ["b"]', // 5
      'CMD ["x"]',
      'CMD ["y"]', // 7
      'HEALTHCHECK CMD ["h"]',
      'HEALTHCHECK NONE', // 9
    ].join('\n');
    expect(ids(content)).toEqual(['5:DL4004', '7:DL4003', '9:DL3012']);
    const [entrypoint] = lintDockerfile(content).filter((p) => p.id === 'DL4004');
    expect(entrypoint?.message).toBe('Multiple `ENTRYPOINT` instructions found. If you list more than one `ENTRYPOINT` then only the last `ENTRYPOINT` will take effect');
  });

  it('flags COPY --from its own stage and duplicate stage aliases (case-insensitive)', () => {
    const content = ['FROM a:1 AS build', 'COPY --from=build /a /b', 'COPY --from=deps /a /b', 'FROM b:1 AS Build', 'FROM c:1 AS deps', 'COPY --from=build /x /y'].join('\n');
    expect(ids(content)).toEqual(['2:DL3023', '4:DL3024']);
  });

  it('reports the new rules with their severities, cross-references and a PASS when clean', () => {
    const report = checkDockerfile('FROM a:1\nEXPOSE 22\n', 'Dockerfile');
    const ds004 = report.results.find((r) => r.checkId === 'DS004');
    expect(ds004).toMatchObject({ status: 'FAIL', severity: 'MEDIUM', line: 2, benchmark: 'dockerfile', references: { trivy: ['DS004'], avd: ['AVD-DS-0004'] } });
    for (const id of Object.keys(TRIVY_DS_RULES).filter((i) => i !== 'DS004')) expect(report.results.find((r) => r.checkId === id)?.status).toBe('PASS');
    expect(report.results.find((r) => r.checkId === 'DL4004')?.references).toMatchObject({ trivy: ['DS007'], hadolint: ['DL4004'] });
  });
});

describe('secrets in ENV and ARG', () => {
  it('matches whole words of the name', () => {
    for (const name of ['DB_PASSWORD', 'API_TOKEN', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'apiKey', 'SECRET', 'db-pass', 'CLIENT_SECRET', 'BASIC_AUTH', 'SSH_PRIVATE_KEY', 'REGISTRY_CREDENTIALS']) {
      expect([name, isSecretName(name)]).toEqual([name, true]);
    }
    for (const name of ['PASSENGER_VERSION', 'KEYCLOAK_VERSION', 'ACCESS_LOG', 'DB_PASSWORD_FILE', 'GPG_KEY', 'TOKEN_URL', 'KEY_SERVER', 'PUBLIC_KEY', 'SSH_PUBLIC_KEY', 'PASSWORD_LENGTH', 'MONKEY', 'TOKENIZER_PARALLELISM', 'AUTHOR', 'SECRETARY', 'PATH', 'NODE_VERSION']) {
      expect([name, isSecretName(name)]).toEqual([name, false]);
    }
  });

  it('recognises known token formats in values', () => {
    expect(tokenFormatOf('AKIAIOSFODNN7EXAMPLE')).toBe('an AWS access key id');
    expect(tokenFormatOf(`ghp_${'a'.repeat(36)}`)).toBe('a GitHub token');
    expect(tokenFormatOf('glpat-abcdefghij0123456789')).toBe('a GitLab token');
    expect(tokenFormatOf('-----BEGIN OPENSSH PRIVATE KEY-----')).toBe('a private key');
    expect(tokenFormatOf('1.2.3')).toBeUndefined();
    expect(tokenFormatOf('https://github.com/org/repo')).toBeUndefined();
  });

  it('reports secret names with values, build arguments for secrets, and token values under any name', () => {
    const content = [
      'FROM a:1',
      'ENV PASSENGER_VERSION=6.0.20 KEYCLOAK_VERSION=24.0 ACCESS_LOG=/var/log/a DB_PASSWORD_FILE=/run/secrets/db', // 2: nothing
      'ENV DB_PASSWORD=hunter2', // 3
      'ARG NPM_TOKEN', // 4: a build argument
      'ARG NODE_VERSION', // 5: nothing
      `ENV DOWNLOAD_HELPER=ghp_${'b'.repeat(36)}`, // 6: token format
      'ENV SECRET_KEY ""', // 7: empty ENV is nothing stored
    ].join('\n');
    expect(ids(content)).toEqual(['3:CIS-DI-0010', '4:CIS-DI-0010', '6:CIS-DI-0010']);
    const messages = lintDockerfile(content).filter((p) => p.id === 'CIS-DI-0010').map((p) => p.message);
    expect(messages[1]).toContain('build argument is kept in the image history');
    expect(messages[2]).toBe('ENV DOWNLOAD_HELPER holds what looks like a GitHub token (its value is stored in the image)');
    const report = checkDockerfile(content, 'Dockerfile');
    expect(report.results.find((r) => r.checkId === 'CIS-DI-0010')?.references).toMatchObject({ trivy: ['DS031'], cisDocker: ['CIS-DOCKER-4.10'] });
  });
});
