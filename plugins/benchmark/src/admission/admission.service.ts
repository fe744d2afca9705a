import { Inject, Injectable } from '@nestjs/common';
import { HOST_ARTIFACTS, HOST_FINDINGS, HOST_REQUEST_CONTEXT, HOST_SERVICES, PLUGIN_DATABASE, type HostArtifacts, type HostFindings, type HostRequestContext, type PluginDatabase } from '@bulkhead/plugin-sdk/api';
import type { PluginServices, Severity as SdkSeverity } from '@bulkhead/plugin-sdk';
import { evaluatePod, formatPssMessage } from '../pss';
import { parseImageRef } from './image-ref';
import { ADMISSION_POLICY, AdmissionPolicyError, SEVERITIES, severityRank, type AdmissionPolicy } from './policy';
import { SignatureRule } from './signature-rule';
import { AdmissionTrustedKeysService } from './trusted-keys.service';
import { podImages, type AdmissionDecision, type ParsedReview } from './review';

export { ADMISSION_POLICY };

/**
 * Decides an AdmissionReview from what is already stored (no scan on the request path): the
 * registry of each image, the Pod Security level of the pod, and the OPEN findings of each image
 * (by its digest: the scanner stores findings on the image id, which HostArtifacts maps a
 * manifest digest to), and the recorded signatures of each image's manifest digest (through the
 * `imageSignatures` service another plugin provides). Every rule is evaluated so a denial lists
 * every reason at once.
 */
@Injectable()
export class AdmissionService {
  private readonly signatureRule: SignatureRule | null;

  constructor(
    @Inject(ADMISSION_POLICY) private readonly policy: AdmissionPolicy,
    @Inject(HOST_FINDINGS) private readonly findings: HostFindings,
    @Inject(HOST_ARTIFACTS) private readonly artifacts: HostArtifacts,
    @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
    @Inject(HOST_REQUEST_CONTEXT) private readonly context: HostRequestContext,
    @Inject(HOST_SERVICES) services: PluginServices,
    private readonly trustedKeys: AdmissionTrustedKeysService,
  ) {
    // Refused, never ignored: a webhook that accepted the rule without the records would admit unsigned images.
    if (trustedKeys.signatureRuleEnabled && !services.imageSignatures) {
      const rule = policy.trustedKeys ? 'trustedKeys' : 'apiTrustedKeys';
      throw new AdmissionPolicyError(
        `admission policy: ${rule}: no loaded plugin provides imageSignatures (the signature records the rule is decided from): load the signer plugin, or remove the rule`,
      );
    }
    this.signatureRule = trustedKeys.signatureRuleEnabled && services.imageSignatures ? new SignatureRule(services.imageSignatures) : null;
  }

  async decide(review: ParsedReview): Promise<AdmissionDecision> {
    if (!review.pod) return { allowed: true, reasons: [], warnings: [] };
    let reasons: string[];
    try {
      reasons = await this.violations(review.pod.metadata, review.pod.spec);
    } catch (error) {
      // The store could not answer: the failure policy decides, and says so.
      const message = `bulkhead admission could not decide: ${(error as Error).message}`;
      const decision = this.policy.failurePolicy === 'fail-open' ? { allowed: true, reasons: [message], warnings: [`${message} (fail-open: allowed)`] } : { allowed: false, reasons: [message], warnings: [] };
      await this.record(review, decision, 'error').catch(() => undefined);
      return decision;
    }
    if (reasons.length === 0) return { allowed: true, reasons: [], warnings: [] };
    if (this.policy.dryRun) {
      const decision = { allowed: true, reasons, warnings: reasons.map((r) => `bulkhead admission (dry-run) would deny: ${r}`) };
      await this.record(review, decision, 'dry-run');
      return decision;
    }
    const decision = { allowed: false, reasons, warnings: [] };
    await this.record(review, decision, 'denied');
    return decision;
  }

  private async violations(metadata: Record<string, unknown>, spec: Record<string, unknown>): Promise<string[]> {
    const reasons: string[] = [];
    const images = podImages(spec);
    const { allowedRegistries, podSecurityLevel, maxSeverity } = this.policy;
    if (allowedRegistries) {
      for (const image of images) {
        const { registry } = parseImageRef(image);
        if (!allowedRegistries.includes(registry)) reasons.push(`image ${image}: registry ${registry} is not allowed (allowed: ${allowedRegistries.join(', ')})`);
      }
    }
    if (podSecurityLevel) {
      const evaluation = evaluatePod(metadata, spec, podSecurityLevel, this.policy.podSecurityVersion);
      if (!evaluation.allowed) reasons.push(formatPssMessage(evaluation));
    }
    const [found, unsigned] = await Promise.all([
      maxSeverity ? Promise.all(images.map((image) => this.findingsReason(image, maxSeverity))) : [],
      this.signatureRule ? this.signatureReasons(this.signatureRule, images) : [],
    ]);
    for (const reason of found) if (reason) reasons.push(reason);
    reasons.push(...unsigned);
    return reasons;
  }

  /** The team's trusted keys come from a short-TTL cache: a table read at most once per TTL, not per request. */
  private async signatureReasons(rule: SignatureRule, images: readonly string[]): Promise<string[]> {
    return rule.reasons(images, await this.trustedKeys.trustedForRequest());
  }

  /** Why `image` breaks the findings rule, or null. */
  private async findingsReason(image: string, maxSeverity: AdmissionPolicy['maxSeverity'] & string): Promise<string | null> {
    const unknown = this.policy.unknownImages === 'deny';
    const { digest } = parseImageRef(image);
    if (!digest) return unknown ? `image ${image}: not pinned by digest, so its stored findings cannot be looked up (unknownImages: deny)` : null;
    const artifact = await this.artifacts.get(digest);
    if (!artifact) return unknown ? `image ${image}: never scanned by Bulkhead (unknownImages: deny)` : null;
    const above = SEVERITIES.filter((s) => severityRank(s) > severityRank(maxSeverity)) as unknown as SdkSeverity[];
    if (above.length === 0) return null;
    const groups = await this.findings.groups(
      { targets: [...new Set([artifact.digest, digest])], statuses: ['OPEN'], severities: above },
      { groupBy: ['severity'], first: above.length },
    );
    if (groups.items.length === 0) return null;
    const counts = groups.items.sort((a, b) => severityRank(b.keys[0] ?? '') - severityRank(a.keys[0] ?? '')).map((g) => `${g.count} ${g.keys[0]}`);
    return `image ${image}: ${counts.join(', ')} open finding(s) above ${maxSeverity}`;
  }

  private async record(review: ParsedReview, decision: AdmissionDecision, outcome: 'denied' | 'dry-run' | 'error'): Promise<void> {
    if (review.dryRun) return;
    await this.db.query(
      `INSERT INTO admission_decision (team, uid, kind, namespace, name, operation, outcome, allowed, reasons) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)`,
      [this.context.requestTeam(), review.uid, review.kind, review.namespace.slice(0, 253), review.name.slice(0, 253), review.operation.slice(0, 16), outcome, decision.allowed, JSON.stringify(decision.reasons.map((r) => r.slice(0, 2000)))],
    );
  }
}
