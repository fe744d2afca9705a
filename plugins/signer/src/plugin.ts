import { z } from 'zod';
import { definePlugin, defineTask } from '@bulkhead/plugin-sdk';
import { createPromoteImageTask } from './gate/promote-image';

/** The signer plugin */
export const signerPlugin = definePlugin({
  manifest: {
    id: 'bulkhead.signer',
    version: '0.1.0',
    kind: 'signer',
    phases: ['ship'],
    description: 'Signs and verifies images (cosign, Notary Project) and their attestations',
  },
  tasks: [
    defineTask({
      type: 'signer',
      description: 'Example task: one INFO finding per target. Grow it into the real check.',
      input: z.object({ targets: z.array(z.string().min(1)).min(1) }),
      run: async (input, ctx) => {
        await ctx.emit.findings(
          input.targets.map((target) => ({
            kind: 'signer' as const,
            severity: 'INFO' as const,
            ruleId: 'signer/seen',
            title: `signer looked at ${target}`,
            target,
          })),
        );
        ctx.progress(1);
        return { checked: input.targets.length };
      },
    }),
    // The promotion gate (./gate): signing hooks arrive with the signer's server-side signing.
    createPromoteImageTask({}),
  ],
});

export default signerPlugin;
