import type { PluginDatabase } from './api/host';

/*
 * Plugin services: facts one plugin keeps in its own tables and others need, exchanged through
 * the host under a well-known name defined here, never by importing the other plugin.
 *
 * A plugin *provides* a service from its root entry (`BulkheadPlugin.provides`), as a factory
 * over its own PluginDatabase, so the same code answers in an API process (Nest), on a worker
 * (tasks) and inline. The host instantiates it with the provider's database scoped to the
 * caller's team and hands it to consumers: `TaskPlatform.services` on a worker, the
 * `HOST_SERVICES` capability in an API module. A service no loaded plugin provides is
 * `undefined`: the consumer decides what that means (a policy rule that needs it is refused at
 * start-up, a query field answers "unknown"), never the host.
 *
 * In the API one object serves every team's requests, so `HOST_SERVICES` holds, for each provided
 * service, methods that read the request's team when they are *called* (instantiating the factory
 * for it) and fail closed outside a request; whether a service is provided is known at start-up,
 * without a team. `PLUGIN_SERVICE_METHODS` lists each service's methods so the host can build
 * that wrapper without knowing any service by name.
 *
 * Why not a core table the provider writes into: the provider's records already exist (the
 * signer's signature records) and their meaning (which verifier, which reason) is the
 * provider's; a second copy would drift. Why not plugin-to-plugin Nest injection: workers load
 * no Nest, and a plugin installed from npm must not need another plugin's package.
 */

/** Signature verdicts recorded for images (provided by a signer plugin). */
export interface ImageSignatureService {
  /**
   * The latest verdict per (manifest digest, signature, verifier) recorded for these manifest
   * digests in the caller's team, valid and invalid alike; at most MAX_SIGNATURE_DIGESTS (1,000)
   * digests per call (more: BadInputError).
   */
  forDigests(manifestDigests: readonly string[]): Promise<ImageSignatureVerdict[]>;
}

export interface ImageSignatureVerdict {
  /** The manifest digest the signature covers (`sha256:…`). */
  manifestDigest: string;
  /** Signature format: `cosign-legacy` (the .sig tag), `cosign-bundle`, `notation-jws`, `notation-cose`, … */
  format: string;
  /**
   * What it was checked with: `key:<sha256 hex of the DER SubjectPublicKeyInfo>` for a public
   * key (so a consumer matches a trusted key by that fingerprint), `cert:<the same fingerprint of
   * the certificate's key>` when checked with a certificate, `trust-policy:<name>` for a Notary
   * Project trust policy.
   */
  verifier: string;
  /** The signing identity where the format has one (certificate subject, keyless identity). */
  identity: string | null;
  valid: boolean;
  /** Why it is not valid (`wrong-key`, `digest-mismatch`, `bad-signature`, …); null when valid. */
  reason: string | null;
  /** When the verdict was reached (ISO 8601). */
  checkedAt: string;
}

/** The services a plugin can provide and consume, by their well-known names. */
export interface PluginServices {
  readonly imageSignatures?: ImageSignatureService;
}

/** What the host gives a service factory: the provider's database and the caller's team. */
export interface PluginServiceContext {
  /** The platform database, for the provider plugin's own tables. */
  readonly database: PluginDatabase;
  /** The team the caller acts for: the service answers from this team's rows only. */
  readonly team: string;
}

/** Factories a plugin declares in `BulkheadPlugin.provides`; at most one plugin provides each. */
export type PluginServiceProviders = {
  readonly [K in keyof PluginServices]?: (context: PluginServiceContext) => NonNullable<PluginServices[K]>;
};

/** The names of the services (the keys of PluginServices). */
export const PLUGIN_SERVICE_NAMES = ['imageSignatures'] as const satisfies readonly (keyof PluginServices)[];

/** Every method of every service (checked to be exactly the interface's), for hosts that wrap them. */
export const PLUGIN_SERVICE_METHODS = {
  imageSignatures: { forDigests: true },
} as const satisfies { readonly [K in keyof PluginServices]-?: { readonly [M in keyof NonNullable<PluginServices[K]>]: true } };

/** At most this many digests per `ImageSignatureService.forDigests` call. */
export const MAX_SIGNATURE_DIGESTS = 1000;
