import { readFile, stat } from 'node:fs/promises';
import { cannotReadMessage, CliError, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { MAX_POLICY_BYTES, parsePromotionPolicy } from '../policy';
import { PROMOTE_IMAGE_TASK, type PromotionDecision } from '../promote-image';

/** Reads the policy file (bounded) and runs the gate's flow inline. Bad files are CliErrors naming them. */
export async function runGate(ref: string, policyFile: string, host: CliHost): Promise<PromotionDecision> {
  let text: string;
  try {
    const info = await stat(policyFile);
    if (!info.isFile()) throw new CliError(`--policy ${policyFile}: not a file`);
    if (info.size > MAX_POLICY_BYTES) throw new CliError(`--policy ${policyFile}: larger than ${MAX_POLICY_BYTES} bytes: not a policy`);
    text = await readFile(policyFile, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(cannotReadMessage(policyFile, error, '--policy file'));
  }
  let policy;
  try {
    policy = parsePromotionPolicy(text, policyFile);
  } catch (error) {
    if (error instanceof BadInputError) throw new CliError((error as Error).message);
    throw error;
  }
  const progress = host.progressPrinter();
  const outcome = await host.interruptible((signal) => host.runTask('signer', PROMOTE_IMAGE_TASK, { ref, policy }, { signal, onProgress: progress }));
  return outcome.output as PromotionDecision;
}
