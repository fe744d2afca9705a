import { definePlugin } from '@bulkhead/plugin-sdk';
import { signImageTask } from './tasks/sign-image';
import { verifyImageTask } from './tasks/verify-image';
import { gateTask } from './gate/gate-task';
import { imageSignatureService } from './store/image-signature-service';

export const SIGNER_PLUGIN_VERSION = '0.2.0';

/**
 * The signer plugin: cosign-compatible signatures (legacy simple signing and Sigstore bundles),
 * in-toto attestations and Notary Project envelopes over images in OCI registries. Tasks run on
 * workers with server-side keys; the CLI (`bulkhead keygen|sign|verify|attest|verify-attestation`)
 * signs with key files.
 */
export const signerPlugin = definePlugin({
  manifest: {
    id: 'bulkhead.signer',
    version: SIGNER_PLUGIN_VERSION,
    kind: 'signer',
    phases: ['ship'],
    description: 'Signs and verifies images (cosign, Notary Project) and their attestations',
  },
  tasks: [
    signImageTask,
    verifyImageTask,
    // The promotion gate (plugins/signer/src/gate).
    gateTask,
  ],
  // Other plugins (the admission webhook, cluster inventories) read the signature records
  // through the host under this name, never by importing this plugin.
  provides: { imageSignatures: imageSignatureService },
});

export default signerPlugin;
