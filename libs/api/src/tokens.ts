/** Injection tokens for the resources startApi creates (or the caller hands in) outside Nest. */
export const PLUGIN_REGISTRY = Symbol('PLUGIN_REGISTRY');
export const API_CONFIG = Symbol('API_CONFIG');
export const API_LOGGER = Symbol('API_LOGGER');
export const DATA_SOURCE = Symbol('DATA_SOURCE');
export const REDIS = Symbol('REDIS');
