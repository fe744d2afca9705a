/** Injection tokens for the resources startApi creates (or the caller hands in) outside Nest. */
export const PLUGIN_REGISTRY = Symbol('PLUGIN_REGISTRY');
export const API_CONFIG = Symbol('API_CONFIG');
export const API_LOGGER = Symbol('API_LOGGER');
export const DATA_SOURCE = Symbol('DATA_SOURCE');
export const REDIS = Symbol('REDIS');
export const TASK_STORE = Symbol('TASK_STORE');
export const IMAGE_STORE = Symbol('IMAGE_STORE');
export const FINDING_STORE = Symbol('FINDING_STORE');
export const TASK_SUBMITTER = Symbol('TASK_SUBMITTER');
export const TASK_QUEUES = Symbol('TASK_QUEUES');
export const TASK_EVENTS_SUBSCRIBER = Symbol('TASK_EVENTS_SUBSCRIBER');
export const TASK_EVENTS_PUBLISHER = Symbol('TASK_EVENTS_PUBLISHER');
export const API_TOKEN_STORE = Symbol('API_TOKEN_STORE');
export const AUDIT_LOG_STORE = Symbol('AUDIT_LOG_STORE');
export const UPLOAD_SERVICE = Symbol('UPLOAD_SERVICE');
export const NOTIFY_SERVICE = Symbol('NOTIFY_SERVICE');
