import type { PromotionDecision } from '../promote-image';

/** The decision as a person reads it in a CI log: verdict, each reason with its rule and finding, signing. */
export function formatDecision(decision: PromotionDecision): string {
  const lines = [`Gate ${decision.decision}: ${decision.ref}${decision.digest ? ` (image ${decision.digest})` : ''}`];
  for (const child of decision.children) lines.push(`  ${child.kind}/${child.type}: ${child.status}`);
  const s = decision.summary;
  lines.push(
    `  vulnerabilities: ${s.vulnerabilities} (${s.vulnerabilitiesOverLimit} above the limit), secrets: ${s.secrets}, failed image checks: ${s.benchmarkFailures} (${s.benchmarkFailuresCounted} counted)`,
  );
  if (decision.reasons.length > 0) {
    lines.push('Reasons:');
    for (const reason of decision.reasons) lines.push(`  [${reason.rule}] ${reason.detail}${reason.findingId ? ` (finding ${reason.findingId})` : ''}`);
  }
  lines.push(decision.signed ? `Signed: ${decision.signatureId}` : `Not signed: ${decision.notSignedReason ?? 'no'}`);
  return lines.join('\n');
}
