export * from './limits';
export { cvssScore } from './cvss-score';
export { osvRecordToAdvisory, isRejected, type OsvRecordContext } from './osv-record';
export * from './osv-reader';
