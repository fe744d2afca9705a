import { asBool, asNumber, asString, basename, dirname } from './values';
import type { FieldAccessor, FieldType } from './types';

/**
 * A syscall-style event: a flat JSON object whose keys are Falco field names (`evt.type`,
 * `proc.name`, `fd.name`, ...), plus two structured keys: `proc.ancestors` (parent first) and
 * `container.mounts`. See plugins/runtime/README.md for the schema and the derived fields.
 */
export type SyscallEvent = Record<string, unknown>;

export interface AncestorInfo {
  name?: string;
  exe?: string;
  exepath?: string;
  cmdline?: string;
  args?: string;
  pid?: number;
}

export interface MountInfo {
  source?: string;
  dest?: string;
  mode?: string;
  rdwr?: boolean;
  propagation?: string;
}

/** Raw key read as-is with type coercion. */
export function rawAccessor(key: string, type: FieldType): FieldAccessor<SyscallEvent> {
  switch (type) {
    case 'number':
      return (e) => asNumber(e[key]);
    case 'bool':
      return (e) => asBool(e[key]);
    default:
      return (e) => {
        const v = e[key];
        return typeof v === 'string' ? v : asString(v);
      };
  }
}

export function str(e: SyscallEvent, key: string): string | undefined {
  const v = e[key];
  return typeof v === 'string' ? v : (asString(v) as string | undefined);
}

const NO_ANCESTORS: AncestorInfo[] = [];
export function ancestors(e: SyscallEvent): AncestorInfo[] {
  const a = e['proc.ancestors'];
  if (!Array.isArray(a)) return NO_ANCESTORS;
  // Producers may send holes or junk; an entry that is not an object is an unknown ancestor.
  for (const x of a) if (x === null || typeof x !== 'object') return a.map((y) => (y !== null && typeof y === 'object' ? (y as AncestorInfo) : {}));
  return a as AncestorInfo[];
}

const FD_TYPE_CHARS: Record<string, string> = {
  file: 'f', directory: 'd', ipv4: '4', ipv6: '6', unix: 'u', pipe: 'p', event: 'e', signalfd: 's',
  eventpoll: 'l', inotify: 'i', timerfd: 't', netlink: 'n', bpf: 'b', userfaultfd: 'u', io_uring: 'r', memfd: 'm', pidfd: 'P',
};
const FD_TYPES_BY_CHAR = Object.fromEntries(Object.entries(FD_TYPE_CHARS).map(([k, v]) => [v, k]));

export const procName = (e: SyscallEvent): string | undefined => {
  const n = e['proc.name'];
  if (typeof n === 'string') return n;
  const p = str(e, 'proc.exepath') ?? str(e, 'proc.exe');
  return p === undefined ? undefined : basename(p);
};
const fdName = (e: SyscallEvent): string | undefined => {
  const n = e['fd.name'];
  return typeof n === 'string' ? n : undefined;
};
const fdTypeChar = (e: SyscallEvent): string | undefined => {
  const c = e['fd.typechar'];
  if (typeof c === 'string') return c;
  const t = str(e, 'fd.type');
  return t === undefined ? undefined : FD_TYPE_CHARS[t];
};
export const fdType = (e: SyscallEvent): string | undefined => {
  const v = str(e, 'fd.type');
  if (v !== undefined) return v;
  const c = str(e, 'fd.typechar');
  return c === undefined ? undefined : FD_TYPES_BY_CHAR[c];
};
const openFlags = (e: SyscallEvent): string | undefined => str(e, 'evt.arg.flags');

/**
 * Fields Falco derives from others. Each reads the explicit key first so that a producer that
 * knows better (a real sensor) wins, and derives only when the key is absent.
 */
export const DERIVED: Record<string, FieldAccessor<SyscallEvent>> = {
  'proc.name': procName,
  'proc.exepath': (e) => {
    const v = e['proc.exepath'];
    if (typeof v === 'string') return v;
    const exe = str(e, 'proc.exe');
    return exe?.startsWith('/') ? exe : undefined;
  },
  'proc.exe': (e) => str(e, 'proc.exe') ?? str(e, 'proc.exepath') ?? procName(e),
  'proc.cmdline': (e) => {
    const v = e['proc.cmdline'];
    if (typeof v === 'string') return v;
    const name = procName(e);
    if (name === undefined) return undefined;
    const args = str(e, 'proc.args');
    return args ? `${name} ${args}` : name;
  },
  'proc.args': (e) => {
    const v = str(e, 'proc.args');
    if (v !== undefined) return v;
    const cmd = str(e, 'proc.cmdline');
    if (cmd === undefined) return undefined;
    const i = cmd.indexOf(' ');
    return i < 0 ? '' : cmd.slice(i + 1);
  },
  'proc.pname': (e) => {
    const v = e['proc.pname'];
    return typeof v === 'string' ? v : asString(ancestors(e)[0]?.name);
  },
  'proc.pcmdline': (e) => str(e, 'proc.pcmdline') ?? asString(ancestors(e)[0]?.cmdline),
  'proc.pexe': (e) => str(e, 'proc.pexe') ?? asString(ancestors(e)[0]?.exe ?? ancestors(e)[0]?.exepath),
  'proc.pexepath': (e) => str(e, 'proc.pexepath') ?? asString(ancestors(e)[0]?.exepath),
  'proc.ppid': (e) => asNumber(e['proc.ppid'] ?? ancestors(e)[0]?.pid),
  'fd.directory': (e) => {
    const v = e['fd.directory'];
    if (typeof v === 'string') return v;
    const name = fdName(e);
    if (name === undefined || !name.startsWith('/')) return undefined;
    return fdTypeChar(e) === 'd' ? name : dirname(name);
  },
  'fd.filename': (e) => {
    const v = e['fd.filename'];
    if (typeof v === 'string') return v;
    const name = fdName(e);
    if (name === undefined || !name.startsWith('/') || fdTypeChar(e) === 'd') return undefined;
    return basename(name);
  },
  'fd.typechar': fdTypeChar,
  'fd.type': fdType,
  'fd.nameraw': (e) => str(e, 'fd.nameraw') ?? fdName(e),
  'evt.dir': (e) => {
    const v = e['evt.dir'];
    return typeof v === 'string' ? v : '<';
  },
  'syscall.type': (e) => str(e, 'syscall.type') ?? str(e, 'evt.type'),
  'evt.is_open_read': (e) => {
    const v = e['evt.is_open_read'];
    if (typeof v === 'boolean') return v;
    if (v !== undefined) return asBool(v);
    const f = openFlags(e);
    return f === undefined ? undefined : f.includes('O_RDONLY') || f.includes('O_RDWR');
  },
  'evt.is_open_write': (e) => {
    const v = e['evt.is_open_write'];
    if (typeof v === 'boolean') return v;
    if (v !== undefined) return asBool(v);
    const f = openFlags(e);
    return f === undefined ? undefined : f.includes('O_WRONLY') || f.includes('O_RDWR');
  },
  'evt.is_open_create': (e) => {
    const v = asBool(e['evt.is_open_create']);
    if (v !== undefined) return v;
    const f = openFlags(e);
    return f === undefined ? undefined : f.includes('O_CREAT');
  },
  'evt.failed': (e) => {
    const v = asBool(e['evt.failed']);
    if (v !== undefined) return v;
    const r = asNumber(e['evt.rawres']);
    return r === undefined ? undefined : (r as number) < 0;
  },
  'container.id': (e) => {
    const v = e['container.id'];
    return typeof v === 'string' ? v : v === undefined || v === null ? 'host' : String(v);
  },
  'container.name': (e) => str(e, 'container.name') ?? (e['container.id'] === undefined ? 'host' : undefined),
  'container.image.repository': (e) => {
    const v = str(e, 'container.image.repository');
    if (v !== undefined) return v;
    const image = str(e, 'container.image');
    return image === undefined ? undefined : splitImage(image).repository;
  },
  'container.image.tag': (e) => {
    const v = str(e, 'container.image.tag');
    if (v !== undefined) return v;
    const image = str(e, 'container.image');
    return image === undefined ? undefined : splitImage(image).tag;
  },
  'fd.l4proto': (e) => str(e, 'fd.l4proto'),
  // fd.*net fields compare the address against networks: read the matching address key.
  'fd.net': (e) => str(e, 'fd.net') ?? str(e, 'fd.ip'),
  'fd.snet': (e) => str(e, 'fd.snet') ?? str(e, 'fd.sip'),
  'fd.cnet': (e) => str(e, 'fd.cnet') ?? str(e, 'fd.cip'),
  'fd.lnet': (e) => str(e, 'fd.lnet') ?? str(e, 'fd.lip'),
  'fd.rnet': (e) => str(e, 'fd.rnet') ?? str(e, 'fd.rip'),
};

/** `registry:5000/ns/app:1.2@sha256:..` → repository `registry:5000/ns/app`, tag `1.2`. */
export function splitImage(image: string): { repository: string; tag?: string } {
  const at = image.indexOf('@');
  const noDigest = at < 0 ? image : image.slice(0, at);
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  if (colon > slash) return { repository: noDigest.slice(0, colon), tag: noDigest.slice(colon + 1) };
  return { repository: noDigest };
}
