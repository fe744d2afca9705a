import type { ReliabilityReport } from './suite';

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

/** The report for people: verdict, reasons, then the figures (the bench prints it; the int-spec logs it). */
export function formatReliabilityReport(report: ReliabilityReport, label = 'reliability'): string {
  const lines = [
    `${label}: ${report.pass ? 'PASS' : 'FAIL'} — ${report.accepted}/${report.tasks} tasks accepted, ${report.ledger?.statusCounts['SUCCEEDED'] ?? 0} SUCCEEDED`,
    ...report.failures.map((f) => `  FAIL: ${f}`),
    `  duration ${seconds(report.durationMs)}, ${report.tasksPerSecond.toFixed(1)} tasks/s; ${report.kills} workers SIGKILLed (${report.killsSpared} kills skipped: no worker had served 5 s), ${report.workersStarted} started (${report.workerStartFailures} exited while starting)`,
  ];
  for (const f of report.faults) {
    lines.push(
      `  ${f.fault} at ${seconds(f.at)}: ${f.inFlight} tasks unfinished${f.keysDeleted === undefined ? '' : `, ${f.keysDeleted} keys deleted`}; first success ${seconds(f.firstSuccessAfterMs)} after, all of them done ${seconds(f.inFlightDoneAfterMs)} after`,
    );
  }
  if (report.ledger) {
    const l = report.ledger;
    lines.push(`  task states ${JSON.stringify(l.statusCounts)}; attempts per task ${JSON.stringify(l.attempts)}; ${l.transitions} transitions recorded`);
    lines.push(`  ${l.scans} scans of one image: ${l.artifactRows} artifact row, ${l.packageRows} package rows`);
    lines.push(`  probe findings ${l.probeFindings}; tasks the client never heard of ${JSON.stringify(l.unacknowledgedTasks)}; alerts with several tasks ${l.alertsWithSeveralTasks}`);
  }
  lines.push(`  task latency (row written to SUCCEEDED) p50 ${report.taskP50Ms.toFixed(0)} ms, p95 ${report.taskP95Ms.toFixed(0)} ms`);
  lines.push(`  submissions sent again ${JSON.stringify(report.submitRetries)}; submit p95 ${report.submitP95Ms} ms`);
  lines.push(`  recovery paths taken ${JSON.stringify(report.recoveryLogs)}`);
  return lines.join('\n');
}
