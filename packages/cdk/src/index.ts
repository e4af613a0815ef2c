export * from './constructs/pipeline-function.js';
export * from './pipeline-stack.js';
export * from './settings.js';
