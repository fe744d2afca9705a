/**
 * Exact comparison of unsigned decimal digit strings of any length (versions carry dates,
 * build numbers and hashes longer than 2^53): leading zeros stripped, then length, then text.
 */
export function stripZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return digits.slice(i);
}

/** Compares two digit strings already stripped of leading zeros. */
export function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}

export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
