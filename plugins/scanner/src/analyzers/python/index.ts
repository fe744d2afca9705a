export { pipRequirementsAnalyzer, pipenvLockAnalyzer, poetryLockAnalyzer, uvLockAnalyzer, pythonPackageAnalyzer } from './analyzers';
export { parseRequirements } from './requirements';
export { parsePipfileLock } from './pipenv';
export { parsePoetryLock } from './poetry';
export { parseUvLock } from './uv';
export { parsePythonMetadata } from './metadata';
export { isPep440Version, normalizePythonName } from './pep440';
