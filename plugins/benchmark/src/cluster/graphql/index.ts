export { imageWorkloadsResolver, vulnerabilityWorkloadsResolver, WorkloadsResolver } from './workloads.resolver';
export { WorkloadsService } from './workloads.service';
export { PodSecurityLevel, Workload, WorkloadConnection, WorkloadFilter, WorkloadImage } from './workload.model';
