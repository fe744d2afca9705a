import type { Command } from 'commander';
import { EXIT_CODES, usageError, type CliHost, type PluginCliCommand } from '@bulkhead/plugin-sdk/cli';

/**
 * `bulkhead gate <ref> --policy FILE [-f text|json] [--key FILE]`: the promotion gate inline, for a CI
 * pipeline. Runs the `promote-image` flow in this process (the scan and the image benchmark,
 * then the policy) and exits 0 when the image passes, 1 when it fails, with every reason.
 * With `--key FILE` a passing image is signed like `bulkhead sign` does (only the scanned image:
 * its digest pinned). Modules load only when the command runs (`bulkhead --help` stays fast).
 * `--output FILE` and `--quiet` are the host's, as for every command (the decision is the report).
 */
export const gateCommand: PluginCliCommand = {
  name: 'gate',
  description: 'Promotion gate: scan and benchmark an image, evaluate a policy (YAML or JSON); exit 0 when it passes, 1 with the reasons when it fails',
  register(command: Command, host: CliHost): void {
    command
      .argument('<ref>', 'image: oci:<dir>[:<ref>], docker-archive:<file>')
      .requiredOption('--policy <file>', 'policy file: maxSeverity, allowSecrets, ignoreUnfixed, benchmark {maxFailures, allowedRules}, requiredSigners')
      .option('-f, --format <format>', 'text or json: json is the decision (docs/schemas/gate.schema.json)', 'text')
      .option('--key <file>', "sign a passing image with this key (cosign.key, password from COSIGN_PASSWORD), as `bulkhead sign` does; the image must be in a registry")
      .action(async (ref: string, options: { policy: string; format: string; key?: string }) => {
        if (options.format !== 'text' && options.format !== 'json') throw usageError(`--format ${JSON.stringify(options.format)}: expected text or json`);
        const { runGate } = await import('./run-gate');
        let decision = await runGate(ref, options.policy, host);
        if (options.key && decision.decision === 'PASS') {
          const { signPassingImage } = await import('./sign-passing');
          decision = await signPassingImage(decision, options.key, host);
        }
        const { formatDecision } = await import('./format-decision');
        host.out(options.format === 'json' ? JSON.stringify(decision, null, 2) : formatDecision(decision));
        host.exit(decision.decision === 'PASS' ? EXIT_CODES.ok : EXIT_CODES.failed);
      });
  },
};

