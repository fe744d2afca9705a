export * from './model';
export * from './findings';
export * from './table';
export * from './json';
export * from './sarif';
export * from './junit';
export * from './references';

import type { BenchmarkReport } from './model';
import { formatJson } from './json';
import { formatJunit } from './junit';
import { formatSarif, type SarifOptions } from './sarif';
import { formatTable, type TableOptions } from './table';

export const REPORT_FORMATS = ['table', 'json', 'sarif', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Renders a report in one of the supported formats. */
export function formatReport(report: BenchmarkReport, format: ReportFormat, sarif?: SarifOptions, table?: TableOptions): string {
  switch (format) {
    case 'table':
      return formatTable(report, table);
    case 'json':
      return formatJson(report);
    case 'sarif':
      return formatSarif(report, sarif);
    case 'junit':
      return formatJunit(report);
  }
}
