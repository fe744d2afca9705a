import type { TaskLogger } from '@bulkhead/plugin-sdk';
import { PluginStartupError } from '@bulkhead/plugin-sdk/api';
import { hostname } from 'node:os';
import { FileOutput, StdoutOutput, WebhookOutput, type AlertOutput } from '../alerts/outputs';
import { formatDiagnostic } from '../engine/diagnostics';
import { RuleEngine } from '../engine/engine';
import { loadRulesFrom } from '../engine/rules-source';
import type { RuntimeApiConfig } from './config';

/** The rules the API evaluates ingested events with, loaded once at start-up. */
export interface RuntimeDetection {
  engine: RuleEngine;
  rulesFiles: readonly string[];
  /** Hostname put on alerts this API raises (Falco's `hostname`). */
  hostname: string;
}

/** The rules could not be loaded: the API must not start. The message lists every problem as file:line:col. */
export class RuntimeRulesError extends PluginStartupError {
  override readonly name = 'RuntimeRulesError';
}

/** What /k8s-audit and /events answer when no rules are configured. */
export const RULES_NOT_CONFIGURED =
  'runtime detection is not configured: set BULKHEAD_RUNTIME_RULES to a comma-separated list of Falco rules files (e.g. /etc/falco/k8s_audit_rules.yaml) and restart the API';

/**
 * Loads BULKHEAD_RUNTIME_RULES, or returns null when none are configured. Any rules error stops
 * start-up with every problem as `file:line:col: error: ...`.
 */
export async function loadRuntimeDetection(config: Pick<RuntimeApiConfig, 'BULKHEAD_RUNTIME_RULES'>, logger: TaskLogger): Promise<RuntimeDetection | null> {
  const files = config.BULKHEAD_RUNTIME_RULES;
  if (files.length === 0) return null;
  const loaded = await loadRulesFrom({ files });
  if (loaded.errors.length > 0) {
    throw new RuntimeRulesError(`BULKHEAD_RUNTIME_RULES: the rules failed to load:\n  ${loaded.errors.map(formatDiagnostic).join('\n  ')}`);
  }
  for (const warning of loaded.warnings) logger.warn({ warning: formatDiagnostic(warning) }, 'runtime rules warning');
  const engine = new RuleEngine(loaded.rules);
  logger.info({ files, rules: engine.rules.length }, 'runtime rules loaded');
  return { engine, rulesFiles: files, hostname: hostname() };
}

/** Falco-style outputs for new alerts, as configured (none by default: alerts are stored and announced anyway). */
export function createAlertOutputs(config: Pick<RuntimeApiConfig, 'BULKHEAD_ALERT_WEBHOOK_URL' | 'BULKHEAD_ALERT_FILE' | 'BULKHEAD_ALERT_STDOUT'>, logger: TaskLogger): AlertOutput[] {
  const outputs: AlertOutput[] = [];
  if (config.BULKHEAD_ALERT_STDOUT) outputs.push(new StdoutOutput());
  if (config.BULKHEAD_ALERT_FILE) outputs.push(new FileOutput(config.BULKHEAD_ALERT_FILE));
  if (config.BULKHEAD_ALERT_WEBHOOK_URL) outputs.push(new WebhookOutput({ url: config.BULKHEAD_ALERT_WEBHOOK_URL, logger }));
  return outputs;
}
