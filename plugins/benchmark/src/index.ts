export * from './plugin';
export * from './report';
export * from './k8s';
export * from './pss';
export { checkRbac, RBAC_CONTROLS, RBAC_BENCHMARK, type RbacControlId } from './rbac/rbac';
export { checkNetworkPolicies, NETPOL_BENCHMARK } from './netpol/netpol';
export * from './cli/k8s-command';
