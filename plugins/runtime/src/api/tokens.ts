/** The runtime API module's own providers (host capabilities use the SDK's tokens). */
export const RUNTIME_DETECTION = Symbol('bulkhead.runtime.detection');
export const ALERT_RECORDER = Symbol('bulkhead.runtime.alert-recorder');
/** The runtime plugin's validated configuration (RuntimeApiConfig). */
export const RUNTIME_API_CONFIG = Symbol('bulkhead.runtime.config');
