/**
 * Injection tokens for host capabilities. `Symbol.for` keys are global to the process, so a
 * plugin bundling its own copy of the SDK still asks for the same token as the host provides.
 */
export const HOST_TASKS = Symbol.for('bulkhead.host.tasks');
export const HOST_ARTIFACTS = Symbol.for('bulkhead.host.artifacts');
export const HOST_FINDINGS = Symbol.for('bulkhead.host.findings');
export const FINDING_EVENTS = Symbol.for('bulkhead.host.finding-events');
export const HOST_BODY_READER = Symbol.for('bulkhead.host.body-reader');
export const PLUGIN_DATABASE = Symbol.for('bulkhead.host.plugin-database');
/** The host's logger (pino-compatible: `info(obj, msg)`), a TaskLogger. */
export const HOST_LOGGER = Symbol.for('bulkhead.host.logger');
/** The request's principal (HostRequestContext). */
export const HOST_REQUEST_CONTEXT = Symbol.for('bulkhead.host.request-context');
/** Services other plugins provide (PluginServices), scoped to the request's team. */
export const HOST_SERVICES = Symbol.for('bulkhead.host.services');
/** Raising notifications for the request's team (HostNotifications). */
export const HOST_NOTIFICATIONS = Symbol.for('bulkhead.host.notifications');
