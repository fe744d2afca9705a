/** A Python package of a lockfile or metadata file, with Trivy's graph fields (see ../node/lock-package). */
export type { LockPackage as PythonPackage, LockDependency as PythonDependency, ParsedLockfile as ParsedPythonLockfile } from '../node/lock-package';
