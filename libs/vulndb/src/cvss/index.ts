export * from './cvss';
