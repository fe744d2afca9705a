// The OCI Distribution API client (plugin-support): references, credentials, host policy, client.
export {
  parseRegistryReference,
  formatRegistryReference,
  formatRepository,
  parsePlatform,
  formatPlatform,
  platformMatches,
  isRegistryHost,
  hasRegistryHost,
  DOCKER_HUB,
  type Platform,
  type RegistryReference,
  type RegistryRepository,
} from './reference';
export {
  RegistryClient,
  RegistryRefusal,
  REGISTRY_MEDIA_TYPES,
  MANIFEST_ACCEPT,
  isIndexMediaType,
  pickPlatform,
  readDescriptors,
  referrersTag,
  verifyingStream,
  type Descriptor,
  type RegistryClientOptions,
} from './client';
export { dockerConfigCredentials, dockerConfigPath, pullSecretCredential, staticCredentials, type Credential, type CredentialSource } from './credentials';
export {
  serverHostPolicy,
  registryServerConfigFromEnv,
  classifyAddress,
  isLoopbackHost,
  type HostPolicy,
  type ServerHostPolicyConfig,
  type AddressClass,
} from './host-policy';
export { RegistryHttpError } from './transport';
export { parseChallenge } from './auth';
export { RegistryBlobStore } from './blob-store';
export { pushImage, pullImage, type PushResult, type PullResult, type CopyProgress } from './copy';
