import { ancestors, DERIVED, fdType, procName, rawAccessor, str, type AncestorInfo, type MountInfo, type SyscallEvent } from './syscall-derived';
import { asNumber, asString, asStringList } from './values';
import type { FieldAccessor, FieldDefinition, FieldSource, FieldType, FieldValue } from './types';

export { splitImage, type AncestorInfo, type MountInfo, type SyscallEvent } from './syscall-derived';

// The syscall field source: libsinsp's field names and types, and the fields with arguments
// (ancestors, mounts, maps); the event type and the fields Falco derives are in syscall-derived.ts.

const T: Record<string, FieldType> = { s: 'string', n: 'number', b: 'bool', ip: 'ipaddr', net: 'ipnet' };

/**
 * Field names of libsinsp (and the container/k8s plugins) accepted in syscall rules, with their
 * types. `name:type` where type is s, n, b, ip or net. Fields with arguments are listed separately.
 */
const PLAIN_FIELDS = `
evt.num:n evt.time:s evt.time.s:s evt.time.iso8601:s evt.datetime:s evt.datetime.s:s evt.rawtime:n
evt.rawtime.s:n evt.rawtime.ns:n evt.reltime:n evt.reltime.s:n evt.reltime.ns:n evt.latency:n
evt.latency.s:n evt.latency.ns:n evt.deltatime:n evt.dir:s evt.type:s syscall.type:s evt.category:s
evt.cpu:n evt.args:s evt.info:s evt.buffer:s evt.buflen:n evt.res:s evt.rawres:n evt.failed:b
evt.is_io:b evt.is_io_read:b evt.is_io_write:b evt.io_dir:s evt.is_wait:b evt.wait_latency:n
evt.is_syslog:b evt.count:n evt.count.error:n evt.count.error.file:n evt.count.error.net:n
evt.count.error.memory:n evt.count.error.other:n evt.count.exit:n evt.abspath:s evt.abspath.src:s
evt.abspath.dst:s evt.is_open_read:b evt.is_open_write:b evt.is_open_exec:b evt.is_open_create:b
evt.hostname:s evt.source:s evt.pluginname:s evt.plugininfo:s evt.asynctype:s
proc.pid:n proc.exe:s proc.name:s proc.args:s proc.cmdline:s proc.cmdnargs:n proc.cmdlenargs:n
proc.exeline:s proc.exepath:s proc.cwd:s proc.nthreads:n proc.nchilds:n proc.ppid:n proc.pname:s
proc.pcmdline:s proc.pexe:s proc.pexepath:s proc.loginshellid:n proc.duration:n proc.ppid.duration:n
proc.fdopencount:n proc.fdlimit:n proc.fdusage:n proc.vmsize:n proc.vmrss:n proc.vmswap:n
proc.pfmajor:n proc.pfminor:n proc.tty:n proc.sid:n proc.sname:s proc.sid.exe:s proc.sid.exepath:s
proc.vpgid:n proc.vpgid.name:s proc.vpgid.exe:s proc.vpgid.exepath:s proc.is_vpgid_leader:b
proc.is_sid_leader:b proc.vpid:n proc.pvpid:n proc.is_container_healthcheck:b
proc.is_container_liveness_probe:b proc.is_container_readiness_probe:b proc.is_exe_writable:b
proc.is_exe_upper_layer:b proc.is_exe_lower_layer:b proc.is_exe_from_memfd:b proc.exe_ino:n
proc.exe_ino.ctime:n proc.exe_ino.mtime:n proc.exe_ino.ctime_duration_proc_start:n
proc.exe_ino.ctime_duration_pidns_start:n proc.pidns_init_start_ts:n proc.start_ts:n
proc.stdin.type:s proc.stdout.type:s proc.stderr.type:s proc.stdin.name:s proc.stdout.name:s
proc.stderr.name:s proc.exe_ino.ctime_duration_pidns_start:n proc.is_pid_leader:b
thread.tid:n thread.ismain:b thread.exectime:n thread.totexectime:n thread.cgroups:s thread.vtid:n
thread.nametid:s thread.cap_permitted:s thread.cap_inheritable:s thread.cap_effective:s
thread.is_group_leader:b thread.vpid:n
user.uid:n user.name:s user.homedir:s user.shell:s user.loginuid:n user.loginname:s group.gid:n group.name:s
fd.num:n fd.type:s fd.typechar:s fd.name:s fd.directory:s fd.filename:s fd.ip:ip fd.cip:ip fd.sip:ip
fd.lip:ip fd.rip:ip fd.port:n fd.cport:n fd.sport:n fd.lport:n fd.rport:n fd.l4proto:s fd.sockfamily:s
fd.is_server:b fd.uid:s fd.containername:s fd.containerdirectory:s fd.proto:n fd.cproto:s fd.sproto:s
fd.lproto:s fd.rproto:s fd.net:net fd.cnet:net fd.snet:net fd.lnet:net fd.rnet:net fd.connected:b
fd.name_changed:b fd.cip.name:s fd.sip.name:s fd.lip.name:s fd.rip.name:s fd.dev:n fd.dev.major:n
fd.dev.minor:n fd.ino:n fd.nameraw:s
fs.path.name:s fs.path.nameraw:s fs.path.source:s fs.path.sourceraw:s fs.path.target:s fs.path.targetraw:s
fdlist.nums:s fdlist.names:s fdlist.cips:s fdlist.sips:s fdlist.cports:s fdlist.sports:s
container.id:s container.full_id:s container.name:s container.image:s container.image.id:s
container.type:s container.privileged:b container.mounts:s container.image.repository:s
container.image.tag:s container.image.digest:s container.healthcheck:s container.liveness_probe:s
container.readiness_probe:s container.start_ts:n container.duration:n container.ip:ip
container.cni.json:s container.host_pid:b container.host_network:b container.host_ipc:b container.labels:s
k8s.pod.name:s k8s.pod.id:s k8s.pod.uid:s k8s.pod.sandbox_id:s k8s.pod.full_sandbox_id:s k8s.pod.labels:s
k8s.pod.ip:s k8s.pod.cni.json:s k8s.ns.name:s k8s.ns.id:s k8s.ns.labels:s k8s.rc.name:s k8s.rc.id:s
k8s.rs.name:s k8s.rs.id:s k8s.svc.name:s k8s.svc.id:s k8s.deployment.name:s k8s.deployment.id:s
`;

function def(name: string, type: FieldType, accessor: (arg: string | undefined) => FieldAccessor<SyscallEvent>, arg: FieldDefinition['arg'] = 'none'): FieldDefinition<SyscallEvent> {
  return { name, type, arg, accessor };
}

/** Ancestor field: index 0 is the process itself, 1 the parent...; without index, any ancestor. */
function ancestorField(name: string, own: FieldAccessor<SyscallEvent>, pick: (a: AncestorInfo) => unknown, numeric = false): FieldDefinition<SyscallEvent> {
  return {
    name,
    type: numeric ? 'number' : 'string',
    typeWithoutArg: 'anylist',
    arg: 'optional',
    accessor(arg) {
      if (arg === undefined) {
        return (e) => {
          const list = ancestors(e).map(pick).filter((v) => v !== undefined && v !== null).map(String);
          return list.length ? list : undefined;
        };
      }
      const n = Number(arg);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${name} needs a non-negative index argument, got [${arg}]`);
      if (n === 0) return own;
      return (e) => {
        const v = pick(ancestors(e)[n - 1] ?? {});
        return numeric ? asNumber(v) : asString(v);
      };
    },
  };
}

/** `container.mount.dest[/etc*]`: the value of `want` of the first mount whose `by` matches. */
function mountField(name: string, by: keyof MountInfo, want: keyof MountInfo | 'all'): FieldDefinition<SyscallEvent> {
  return def(
    name,
    'string',
    (arg) => {
      if (arg === undefined) throw new Error(`${name} requires an argument`);
      const index = /^\d+$/.test(arg) ? Number(arg) : undefined;
      const prefix = arg.endsWith('*') ? arg.slice(0, -1) : undefined;
      return (e) => {
        const mounts = Array.isArray(e['container.mounts']) ? (e['container.mounts'] as unknown[]).filter((m): m is MountInfo => m !== null && typeof m === 'object') : [];
        const m =
          index !== undefined
            ? mounts[index]
            : mounts.find((x) => {
                const v = x[by];
                return typeof v === 'string' && (prefix !== undefined ? v.startsWith(prefix) : v === arg);
              });
        if (!m) return undefined;
        if (want === 'all') return `${m.source ?? ''}:${m.dest ?? ''}:${m.mode ?? ''}:${m.rdwr ?? ''}:${m.propagation ?? ''}`;
        return asString(m[want]);
      };
    },
    'required',
  );
}

/** Reads a key of an object-valued field (`proc.env[HOME]`, `container.label[app]`). */
function mapField(name: string, key: string): FieldDefinition<SyscallEvent> {
  return def(
    name,
    'string',
    (arg) => {
      if (arg === undefined) return rawAccessor(name, 'string');
      return (e) => {
        const m = e[key];
        if (m && typeof m === 'object' && !Array.isArray(m)) return asString((m as Record<string, unknown>)[arg]);
        return undefined;
      };
    },
    'optional',
  );
}

function buildDefinitions(): Map<string, FieldDefinition<SyscallEvent>> {
  const defs = new Map<string, FieldDefinition<SyscallEvent>>();
  for (const token of PLAIN_FIELDS.split(/\s+/).filter(Boolean)) {
    const [name, t] = token.split(':') as [string, string];
    const type = T[t];
    const derived = DERIVED[name];
    defs.set(name, derived ? def(name, type, () => derived) : { ...def(name, type, () => rawAccessor(name, type)), rawKey: name });
  }
  const more: FieldDefinition<SyscallEvent>[] = [
    ancestorField('proc.aname', procName, (a) => a.name),
    ancestorField('proc.apid', (e) => asNumber(e['proc.pid']), (a) => a.pid, true),
    ancestorField('proc.aexe', DERIVED['proc.exe'], (a) => a.exe ?? a.exepath),
    ancestorField('proc.aexepath', DERIVED['proc.exepath'], (a) => a.exepath),
    ancestorField('proc.acmdline', DERIVED['proc.cmdline'], (a) => a.cmdline),
    mountField('container.mount', 'source', 'all'),
    mountField('container.mount.source', 'dest', 'source'),
    mountField('container.mount.dest', 'source', 'dest'),
    mountField('container.mount.mode', 'source', 'mode'),
    mountField('container.mount.rdwr', 'source', 'rdwr'),
    mountField('container.mount.propagation', 'source', 'propagation'),
    mapField('proc.env', 'proc.env'),
    mapField('container.label', 'container.labels'),
    mapField('k8s.pod.label', 'k8s.pod.labels'),
    mapField('k8s.ns.label', 'k8s.ns.labels'),
    mapField('thread.cgroup', 'thread.cgroups'),
    def('evt.type.is', 'bool', (arg) => (e) => (arg === undefined ? undefined : str(e, 'evt.type') === arg), 'required'),
    def('fd.types', 'list', () => (e) => asStringList(e['fd.types'] ?? fdType(e))),
    def(
      'evt.arg',
      'string',
      (arg) => {
        if (arg === undefined) throw new Error('evt.arg requires an argument');
        return (e) => {
          const direct = e[`evt.arg.${arg}`] ?? e[`evt.arg[${arg}]`];
          return asString(direct);
        };
      },
      'required',
    ),
    def('evt.rawarg', 'string', (arg) => (e) => asString(e[`evt.rawarg.${arg}`] ?? e[`evt.arg.${arg}`]), 'required'),
  ];
  for (const d of more) defs.set(d.name, d);
  return defs;
}

const SYSCALL_FIELDS = buildDefinitions();

/** Falco's `evt.arg.NAME` / `evt.rawarg.NAME` forms read the key of the same name. */
function dynamicArgField(name: string): FieldDefinition<SyscallEvent> | undefined {
  if (!/^evt\.(raw)?arg\.[A-Za-z0-9_]+$/.test(name)) return undefined;
  return { ...def(name, 'string', () => rawAccessor(name, 'string')), rawKey: name };
}

/** The `evt.type` of an event, the key of the rule index. */
export function syscallEventType(e: SyscallEvent): string | undefined {
  const t = e['evt.type'];
  return typeof t === 'string' ? t : undefined;
}

export const syscallFields: FieldSource<SyscallEvent> = {
  source: 'syscall',
  lookup: (name) => SYSCALL_FIELDS.get(name) ?? dynamicArgField(name),
  eventType: syscallEventType,
};

/** Reads a field by name for outputs: `%proc.aname[2]` etc. Unknown fields read the raw key. */
export function syscallFieldValue(e: SyscallEvent, name: string, arg?: string): FieldValue {
  const d = syscallFields.lookup(name);
  if (!d) return asString(e[name]);
  return d.accessor(arg)(e);
}
