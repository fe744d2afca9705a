export { runReliabilitySuite, type ReliabilityOptions, type ReliabilityReport, type FaultFigure } from './suite';
export { formatReliabilityReport } from './report';
export type { CompiledPlatform } from './processes';
