import type { FieldType, FieldValue } from '../fields/types';

/** A test of one (non-missing, scalar) extracted value. */
export type ScalarTest = (v: string | number | boolean) => boolean;

export class OperatorError extends Error {
  override readonly name = 'OperatorError';
}

const STRING_OPS = new Set(['=', '!=', '<', '<=', '>', '>=', 'contains', 'icontains', 'bcontains', 'startswith', 'bstartswith', 'endswith', 'glob', 'iglob', 'regex', 'in', 'intersects', 'pmatch']);
const NUMBER_OPS = new Set(['=', '!=', '<', '<=', '>', '>=', 'in', 'intersects']);
const BOOL_OPS = new Set(['=', '!=', 'in', 'intersects']);
const IP_OPS = new Set(['=', '!=', 'in', 'intersects']);

export function operatorAllowed(type: FieldType, op: string): boolean {
  if (op === 'exists') return true;
  switch (type) {
    case 'number':
      return NUMBER_OPS.has(op);
    case 'bool':
      return BOOL_OPS.has(op);
    case 'ipaddr':
    case 'ipnet':
      return IP_OPS.has(op);
    default:
      return STRING_OPS.has(op);
  }
}

/** Falco glob (fnmatch without FNM_PATHNAME: `*` also matches `/`) as an anchored RegExp. */
export function globToRegExp(glob: string, ignoreCase: boolean): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, ignoreCase ? 'is' : 's');
}

export function parseNumber(text: string): number {
  const n = /^-?0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : Number(text);
  if (text.trim() === '' || Number.isNaN(n)) throw new OperatorError(`'${text}' is not a number`);
  return n;
}

export function parseBool(text: string): boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new OperatorError(`'${text}' is not a boolean (true or false)`);
}

function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** `10.0.0.0/8` (IPv4) or an exact address; IPv6 networks compare by exact prefix string. */
function cidrTest(cidr: string): (ip: string) => boolean {
  const [addr, bitsText] = cidr.split('/') as [string, string | undefined];
  const base = ipv4ToInt(addr);
  if (base === undefined) {
    if (bitsText === undefined) return (ip) => ip === addr;
    return (ip) => ip.toLowerCase().startsWith(addr.toLowerCase().replace(/::$/, ':'));
  }
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new OperatorError(`'${cidr}' is not a valid network`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (base & mask) >>> 0;
  return (ip) => {
    const v = ipv4ToInt(ip);
    return v !== undefined && (v & mask) >>> 0 === net;
  };
}

function hexBytes(text: string): Buffer {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new OperatorError(`'${text}' is not a hex byte string`);
  return Buffer.from(text, 'hex');
}

/**
 * Builds the test of one extracted value against the right-hand side, once, at compile time.
 * `values` holds one item for scalar operators and the (list-expanded) items for list operators.
 */
export function buildScalarTest(type: FieldType, op: string, values: readonly string[]): ScalarTest {
  if (!operatorAllowed(type, op)) throw new OperatorError(`operator '${op}' is not supported for ${type} fields`);
  const one = values[0] ?? '';
  if (type === 'number') {
    const nums = values.map(parseNumber);
    const c = nums[0] ?? 0;
    switch (op) {
      case '=':
        return (v) => v === c;
      case '!=':
        return (v) => v !== c;
      case '<':
        return (v) => (v as number) < c;
      case '<=':
        return (v) => (v as number) <= c;
      case '>':
        return (v) => (v as number) > c;
      case '>=':
        return (v) => (v as number) >= c;
      default: {
        const set = new Set(nums);
        return (v) => set.has(v as number);
      }
    }
  }
  if (type === 'bool') {
    const bools = values.map(parseBool);
    const c = bools[0];
    if (op === '=') return (v) => v === c;
    if (op === '!=') return (v) => v !== c;
    return (v) => bools.includes(v as boolean);
  }
  if (type === 'ipnet' || (type === 'ipaddr' && values.some((x) => x.includes('/')))) {
    const tests = values.map(cidrTest);
    const first = tests[0] ?? (() => false);
    if (op === '!=') return (v) => !first(String(v));
    return (v) => tests.some((t) => t(String(v)));
  }
  switch (op) {
    case '=':
      return (v) => v === one;
    case '!=':
      return (v) => v !== one;
    case '<':
      return (v) => (v as string) < one;
    case '<=':
      return (v) => (v as string) <= one;
    case '>':
      return (v) => (v as string) > one;
    case '>=':
      return (v) => (v as string) >= one;
    case 'contains':
      return (v) => (v as string).includes(one);
    case 'icontains': {
      const lower = one.toLowerCase();
      return (v) => (v as string).toLowerCase().includes(lower);
    }
    case 'bcontains': {
      const bytes = hexBytes(one);
      return (v) => Buffer.from(v as string, 'utf8').includes(bytes);
    }
    case 'bstartswith': {
      const bytes = hexBytes(one);
      return (v) => {
        const b = Buffer.from(v as string, 'utf8');
        return b.length >= bytes.length && b.subarray(0, bytes.length).equals(bytes);
      };
    }
    case 'startswith':
      return (v) => (v as string).startsWith(one);
    case 'endswith':
      return (v) => (v as string).endsWith(one);
    case 'glob': {
      const re = globToRegExp(one, false);
      return (v) => re.test(v as string);
    }
    case 'iglob': {
      const re = globToRegExp(one, true);
      return (v) => re.test(v as string);
    }
    case 'regex': {
      let re: RegExp;
      try {
        // RE2 full match (ANCHOR_BOTH), as libsinsp does.
        re = new RegExp(`^(?:${one})$`, 's');
      } catch (error) {
        throw new OperatorError(`invalid regular expression '${one}': ${(error as Error).message}`);
      }
      return (v) => re.test(v as string);
    }
    case 'pmatch': {
      // Path prefix match on component boundaries (libsinsp path_prefix_search).
      const prefixes = values.map((p) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p));
      return (v) => {
        const s = v as string;
        for (const p of prefixes) {
          if (s === p || (s.startsWith(p) && (p === '/' || s.charCodeAt(p.length) === 47))) return true;
        }
        return false;
      };
    }
    default: {
      const set = new Set(values);
      return (v) => set.has(v as string);
    }
  }
}

/** Normalises an extracted value to the field type (JSON producers are loose about types). */
export function isPresent(v: FieldValue): v is Exclude<FieldValue, undefined> {
  return v !== undefined;
}
