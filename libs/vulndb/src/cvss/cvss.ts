import { Cvss3P0, Cvss3P1, Cvss4P0 } from 'ae-cvss-calculator';
import { BadInputError, type Severity } from '@bulkhead/plugin-sdk';
import type { CvssScore } from '../model';

/*
 * CVSS v3.0 / v3.1 / v4.0 vectors: strictly validated here (every base metric present once,
 * with a value the specification allows), then scored by ae-cvss-calculator, which implements
 * FIRST's formulas (v4.0's macro-vector tables included) but accepts incomplete vectors.
 */

export interface CvssVectorScore {
  type: CvssScore['type'];
  /** `3.0`, `3.1` or `4.0`. */
  version: string;
  vector: string;
  baseScore: number;
  severity: Severity;
}

const V3_BASE: Readonly<Record<string, string>> = { AV: 'NALP', AC: 'LH', PR: 'NLH', UI: 'NR', S: 'UC', C: 'HLN', I: 'HLN', A: 'HLN' };
const V4_BASE: Readonly<Record<string, string>> = { AV: 'NALP', AC: 'LH', AT: 'NP', PR: 'NLH', UI: 'NPA', VC: 'HLN', VI: 'HLN', VA: 'HLN', SC: 'HLN', SI: 'HLN', SA: 'HLN' };
const MAX_VECTOR_LENGTH = 512;

export class InvalidCvssVectorError extends BadInputError {
  constructor(
    readonly vector: string,
    readonly reason: string,
  ) {
    super(`invalid CVSS vector ${JSON.stringify(vector.slice(0, MAX_VECTOR_LENGTH))}: ${reason}`);
  }
}

/** Parses and scores a CVSS v3.x or v4.0 vector; InvalidCvssVectorError names what is wrong. */
export function scoreCvssVector(vector: string): CvssVectorScore {
  const text = vector.trim();
  if (text.length > MAX_VECTOR_LENGTH) throw new InvalidCvssVectorError(vector, `longer than ${MAX_VECTOR_LENGTH} characters`);
  const prefix = /^CVSS:(3\.0|3\.1|4\.0)\//.exec(text);
  if (!prefix) throw new InvalidCvssVectorError(vector, 'does not start with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/');
  const version = prefix[1] as '3.0' | '3.1' | '4.0';
  const base = version === '4.0' ? V4_BASE : V3_BASE;
  const metrics = new Map<string, string>();
  for (const part of text.slice(prefix[0].length).split('/')) {
    const match = /^([A-Za-z]+):([A-Za-z])$/.exec(part);
    if (!match) throw new InvalidCvssVectorError(vector, `malformed metric ${JSON.stringify(part)}`);
    const [, key = '', value = ''] = match;
    if (metrics.has(key)) throw new InvalidCvssVectorError(vector, `metric ${key} given twice`);
    metrics.set(key, value);
  }
  for (const [key, allowed] of Object.entries(base)) {
    const value = metrics.get(key);
    if (value === undefined) throw new InvalidCvssVectorError(vector, `base metric ${key} missing`);
    if (!allowed.includes(value)) throw new InvalidCvssVectorError(vector, `base metric ${key} has value ${value}, expected one of ${allowed.split('').join(', ')}`);
  }
  let baseScore: number | undefined;
  try {
    const cvss = version === '4.0' ? new Cvss4P0(text) : version === '3.1' ? new Cvss3P1(text) : new Cvss3P0(text);
    const scores = cvss.calculateScores() as { base?: number; overall?: number };
    baseScore = version === '4.0' ? (scores.overall ?? scores.base) : scores.base;
  } catch (error) {
    throw new InvalidCvssVectorError(vector, `not scorable (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof baseScore !== 'number' || !Number.isFinite(baseScore) || baseScore < 0 || baseScore > 10) {
    throw new InvalidCvssVectorError(vector, 'no base score could be computed');
  }
  return { type: version === '4.0' ? 'CVSS_V4' : 'CVSS_V3', version, vector: text, baseScore, severity: severityOfCvssScore(baseScore) };
}

/** The model's CvssScore for an OSV `severity` entry (what importers store). */
export function cvssScore(vector: string): CvssScore {
  const scored = scoreCvssVector(vector);
  return { type: scored.type, vector: scored.vector, score: scored.baseScore };
}

/**
 * CVSS qualitative rating (v3.x and v4.0 share it): 9.0+ critical, 7.0+ high, 4.0+ medium,
 * 0.1+ low; 0.0 is "None", shown as INFO (no impact, nothing to fix).
 */
export function severityOfCvssScore(score: number): Severity {
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  if (score > 0) return 'LOW';
  return 'INFO';
}
