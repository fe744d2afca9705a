import type { BenchmarkProfile } from '../k8s/profiles';
import { CONTAINER_CONFIG_TASK, DOCKERFILE_TASK, IMAGE_CONFIG_TASK } from './tasks';

/** CIS Docker profiles: the target is an image reference, a Dockerfile or an inspect JSON file. */
export const DOCKER_PROFILES: Readonly<Record<string, BenchmarkProfile>> = {
  'cis-docker-image': (target) => ({ type: IMAGE_CONFIG_TASK, input: { reference: target } }),
  'cis-docker-container': (target) => ({ type: CONTAINER_CONFIG_TASK, input: { path: target } }),
  dockerfile: (target) => ({ type: DOCKERFILE_TASK, input: { path: target } }),
};
