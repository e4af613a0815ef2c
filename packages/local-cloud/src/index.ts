export * from './clock.js';
export type { CloudFormationService } from './cloudformation/service.js';
export type {
  StackOutput,
  StackRecord,
  StackResource,
  StackResourceStatus,
  StackStatus,
} from './cloudformation/stack-registry.js';
export * from './deploy/assembly-deployer.js';
export * from './deploy/cdk-app.js';
export * from './deploy/cloud-assembly.js';
export { AssemblyPathError } from './deploy/contained-path.js';
export * from './deploy/template-deployer.js';
export * from './faults/http-faults.js';
export * from './faults/runtime-faults.js';
export * from './faults/seeded-random.js';
export { type HttpAccessOptions, isLoopbackHost } from './http-guard.js';
export type {
  FunctionLogEvent,
  FunctionLogListener,
  FunctionLogSource,
  FunctionLogs,
} from './lambda/function-logs.js';
export type { LambdaService } from './lambda/service.js';
export * from './protocol.js';
export type { LocalRoute } from './routes.js';
export * from './server.js';
