export * from './clock.js';
export * from './deploy/template-deployer.js';
export * from './faults/http-faults.js';
export * from './faults/runtime-faults.js';
export * from './faults/seeded-random.js';
export { type HttpAccessOptions, isLoopbackHost } from './http-guard.js';
export type { LambdaService } from './lambda/service.js';
export * from './protocol.js';
export * from './server.js';
