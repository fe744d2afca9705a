import { Inject, Injectable } from '@nestjs/common';
import { BadInputError, type Severity } from '@bulkhead/plugin-sdk';
import {
  HOST_ARTIFACTS,
  HOST_FINDINGS,
  HOST_REQUEST_CONTEXT,
  HOST_TASKS,
  PLUGIN_DATABASE,
  taskModelOf,
  type Connection,
  type HostArtifacts,
  type HostFindings,
  type HostRequestContext,
  type HostTasks,
  type PluginDatabase,
  type Task,
} from '@bulkhead/plugin-sdk/api';
import type { SigningKeyInfo } from '../keys/key-provider';
import { LocalKeyProvider } from '../keys/local-key-provider';
import { MASTER_KEY_SETTING, masterKeyFrom } from '../keys/master-key';
import { importCosignKey } from '../keys/import-cosign-key';
import { SignatureRecords, type AttestationRecord, type SignatureRecord } from '../store/signature-records';
import { SIGNER_KIND, SIGN_IMAGE, VERIFY_IMAGE, type SignImageInput, type VerifyImageInput } from '../tasks/task-inputs';
import type { SignerApiConfig } from './config';
import type { ImageAttestation, ImageSignature, ImageSignatureStatus, SigningKey } from './signer.model';
import { SignatureFormat } from './signer.model';
import { SIGNER_API_CONFIG } from './tokens';

/** Open findings are grouped by image in pages this large when listing images by signature. */
const GROUP_PAGE = 5_000;
/** More images with findings than this in one team: the query says so rather than reading on. */
const MAX_IMAGES = 10_000;

/**
 * The signer in the API process: keys of the request's team (public parts out, private parts
 * in through the provider only), sign/verify tasks, and the signature records, all scoped to
 * the request's team (host capabilities by the host, the plugin's tables by their `team`).
 */
@Injectable()
export class SignerService {
  constructor(
    @Inject(SIGNER_API_CONFIG) private readonly config: SignerApiConfig,
    @Inject(HOST_TASKS) private readonly tasks: HostTasks,
    @Inject(HOST_ARTIFACTS) private readonly artifacts: HostArtifacts,
    @Inject(HOST_FINDINGS) private readonly findings: HostFindings,
    @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
    @Inject(HOST_REQUEST_CONTEXT) private readonly context: HostRequestContext,
  ) {}

  private keys(): LocalKeyProvider {
    return new LocalKeyProvider(this.db, this.context.requestTeam(), () => masterKeyFrom({ [MASTER_KEY_SETTING]: this.config[MASTER_KEY_SETTING] }));
  }

  private records(): SignatureRecords {
    return new SignatureRecords(this.db, this.context.requestTeam());
  }

  async listKeys(): Promise<SigningKey[]> {
    return (await this.keys().list()).map(keyModelOf);
  }

  async createKey(name: string): Promise<SigningKey> {
    return keyModelOf(await this.keys().create(name));
  }

  async importKey(name: string, cosignKey: string, password: string): Promise<SigningKey> {
    return keyModelOf(await importCosignKey(this.keys(), name, cosignKey, password));
  }

  async signImage(ref: string, keyIdOrName: string, signatureFormat: SignImageInput['signatureFormat']): Promise<Task> {
    const key = await this.keys().find(keyIdOrName);
    if (!key) throw new BadInputError(`no signing key ${JSON.stringify(keyIdOrName.slice(0, 140))} in this team (see signingKeys)`);
    // The master key is checked before a task is queued: a server without one says so at once.
    masterKeyFrom({ [MASTER_KEY_SETTING]: this.config[MASTER_KEY_SETTING] });
    const input: SignImageInput = { ref, keyId: key.id, signatureFormat };
    return taskModelOf(await this.tasks.submit({ kind: SIGNER_KIND, type: SIGN_IMAGE, input }));
  }

  async verifyImage(input: VerifyImageInput): Promise<Task> {
    for (const keyId of input.keyIds ?? []) {
      if (!(await this.keys().find(keyId))) throw new BadInputError(`no signing key ${JSON.stringify(keyId.slice(0, 140))} in this team (see signingKeys)`);
    }
    return taskModelOf(await this.tasks.submit({ kind: SIGNER_KIND, type: VERIFY_IMAGE, input }));
  }

  /** `image`: a manifest digest, or an image id (config digest) standing for all its manifest digests. */
  async signatures(image: string): Promise<ImageSignature[]> {
    return (await this.records().signaturesOf(await this.manifestDigestsOf(image))).map(signatureModelOf);
  }

  async attestations(image: string): Promise<ImageAttestation[]> {
    return (await this.records().attestationsOf(await this.manifestDigestsOf(image))).map(attestationModelOf);
  }

  async signaturesOfDigests(digests: readonly string[]): Promise<ImageSignature[]> {
    return (await this.records().signaturesOf(digests)).map(signatureModelOf);
  }

  async attestationsOfDigests(digests: readonly string[]): Promise<ImageAttestation[]> {
    return (await this.records().attestationsOf(digests)).map(attestationModelOf);
  }

  async signedAny(digests: readonly string[]): Promise<boolean> {
    return (await this.records().signedDigests(digests)).size > 0;
  }

  /**
   * The team's images with open findings of `severities`, with their signature state, `signed`
   * keeping only signed (true) or unsigned (false) ones: "CRITICAL findings and no valid
   * signature" is `imagesBySignature(severity: [CRITICAL], signed: false)`. Findings are counted
   * per image by the host in one grouped statement per page of groups.
   */
  async imagesBySignature(severities: readonly Severity[], signed: boolean | null, first: number, after: string | null): Promise<Connection<ImageSignatureStatus>> {
    const counts = new Map<string, number>();
    let cursor: string | null = null;
    do {
      const page = await this.findings.groups({ severities, statuses: ['OPEN'] }, { groupBy: ['target'], first: GROUP_PAGE, after: cursor });
      for (const group of page.items) counts.set(group.keys[0] ?? '', group.count);
      if (counts.size > MAX_IMAGES) throw new BadInputError(`more than ${MAX_IMAGES} images hold such findings: narrow the severities`);
      cursor = page.hasNextPage ? page.endCursor : null;
    } while (cursor);

    // Finding targets that are images (others are pods, nodes ...), with their manifest digests.
    const images: { digest: string; manifestDigests: string[]; references: string[]; findingCount: number }[] = [];
    for (const [target, findingCount] of counts) {
      const artifact = await this.artifacts.get(target);
      if (artifact) images.push({ digest: artifact.digest, manifestDigests: artifact.manifestDigests, references: artifact.references, findingCount });
    }
    const records = this.records();
    const signedDigests = await records.signedDigests(images.flatMap((image) => image.manifestDigests));
    const matching = images
      .map((image) => ({ ...image, signed: image.manifestDigests.some((d) => signedDigests.has(d)) }))
      .filter((image) => signed === null || image.signed === signed)
      .sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
    const rest = after === null ? matching : matching.filter((image) => image.digest > after);
    const page = rest.slice(0, first);
    const signatures = await records.signaturesOf(page.flatMap((image) => image.manifestDigests));
    const nodes: ImageSignatureStatus[] = page.map((image) => ({
      ...image,
      signatures: signatures.filter((s) => image.manifestDigests.includes(s.imageDigest)).map(signatureModelOf),
    }));
    return {
      edges: nodes.map((node) => ({ cursor: node.digest, node })),
      pageInfo: { hasNextPage: rest.length > first, endCursor: nodes.at(-1)?.digest ?? null },
      totalCount: matching.length,
    };
  }

  private async manifestDigestsOf(image: string): Promise<string[]> {
    if (!/^sha256:[0-9a-f]{64}$/.test(image)) throw new BadInputError(`image: ${JSON.stringify(image.slice(0, 140))} is not a digest (sha256:<64 hex>)`);
    const artifact = await this.artifacts.get(image);
    return [...new Set([image, ...(artifact?.manifestDigests ?? [])])];
  }
}

function keyModelOf(key: SigningKeyInfo): SigningKey {
  return { id: key.id, name: key.name, provider: key.provider, algorithm: key.algorithm, publicKey: key.publicKeyPem, fingerprint: key.fingerprint, createdAt: key.createdAt };
}

function signatureModelOf(r: SignatureRecord): ImageSignature {
  return { ...r, format: r.format as SignatureFormat };
}

function attestationModelOf(r: AttestationRecord): ImageAttestation {
  return { ...r, format: r.format as SignatureFormat };
}
