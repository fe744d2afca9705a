import { PLUGIN_SERVICE_METHODS, PLUGIN_SERVICE_NAMES, type PluginRegistry, type PluginServices } from '@bulkhead/plugin-sdk';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';

type ServiceMethod = (...args: unknown[]) => Promise<unknown>;

/**
 * `HOST_SERVICES`: the services the loaded plugins provide (SDK services.ts), for plugin modules
 * of the API. One object serves every team's requests, so each provided service is a set of
 * methods that read the request's team when called — `team()` throws UNAUTHENTICATED outside a
 * request (fail closed, like every capability) — and only then instantiate the provider's
 * factory for that team with `registry.services`. A service no plugin provides is absent, which
 * a consumer can see at start-up, before any request.
 */
export function requestScopedServices(registry: PluginRegistry, database: PluginDatabase, team: () => string): PluginServices {
  const services: Record<string, Record<string, ServiceMethod>> = {};
  for (const name of PLUGIN_SERVICE_NAMES) {
    if (!registry.provider(name)) continue;
    const methods: Record<string, ServiceMethod> = {};
    for (const method of Object.keys(PLUGIN_SERVICE_METHODS[name])) {
      methods[method] = async (...args) => {
        const service = registry.services({ database, team: team() })[name] as unknown as Record<string, ServiceMethod> | undefined;
        const call = service?.[method];
        if (typeof call !== 'function') throw new Error(`plugin service ${name} has no method ${method}`);
        return call.apply(service, args);
      };
    }
    services[name] = Object.freeze(methods);
  }
  return Object.freeze(services) as PluginServices;
}
