/**
 * Fault injection in the local Lambda runtime, without touching business code: a function's code
 * is wrapped by a small handler that runs the real one and then, by rate, misbehaves.
 * - `crash`: the invocation fails after the handler returned, i.e. after its DynamoDB commit and
 *   before Lambda reports success, so the event source mapping redelivers work that already took
 *   effect (the case exactly-once must survive).
 * - `timeout`: the runtime abandons the invocation: the wrapper never returns (after the handler
 *   ran) and the function's timeout ends it; the batch returns to the queue.
 * Duplicate deliveries are not a runtime fault: the workload re-sends envelopes to the queue.
 *
 * The wrapper reads its rates from the function's environment (`ONCELY_RUNTIME_FAULTS`, JSON) -
 * the "environment-driven hook" - and decides from a hash of (seed, kind, first message id,
 * receive count), so a delivery's fate depends on the seed, not on thread scheduling, and a
 * redelivery (higher receive count) is decided afresh. Every fault prints one log line
 * (`{"oncelyRuntimeFault":"crash","records":10}`), which {@link RuntimeFaults.install} counts.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionDefinition } from '../lambda/function-runtime.js';
import type { LambdaService } from '../lambda/service.js';

/** Probability (0 to 1) of each runtime fault, per invocation. */
export interface RuntimeFaultRates {
  /** Probability that an invocation fails after the handler committed. */
  readonly crash?: number;
  /** Probability that an invocation hangs (after the handler) until the function times out. */
  readonly timeout?: number;
}

/** Options of {@link RuntimeFaults}. */
export interface RuntimeFaultOptions {
  /** Seed of the decisions, which hash it with the fault kind, the first message id and the receive count. */
  readonly seed: number;
  /** How often each fault fires. */
  readonly rates: RuntimeFaultRates;
  /**
   * Where wrapped code is written. It must lie inside the project so that the bundle's external
   * modules (the AWS SDK) resolve from the project's node_modules, as Lambda's runtime provides them.
   */
  readonly workDir: string;
}

/** Environment variable the wrapper reads. */
export const RUNTIME_FAULTS_VARIABLE = 'ONCELY_RUNTIME_FAULTS';
const FAULT_LOG_KEY = 'oncelyRuntimeFault';

/** The kinds of runtime fault. */
export type RuntimeFaultKind = 'crash' | 'timeout';

/**
 * The wrapper, in the module format of the bundle it wraps (esbuild writes CommonJS `index.js` or
 * ESM `index.mjs`). The real handler module is renamed `inner.cjs` / `inner.mjs` beside it, so Node
 * loads it in its own format whatever package.json lies above.
 */
function wrapperSource(format: 'cjs' | 'esm'): string {
  const header =
    format === 'cjs'
      ? "'use strict';\nconst { createHash } = require('node:crypto');\nconst inner = require('./inner.cjs');"
      : "import { createHash } from 'node:crypto';\nimport * as innerModule from './inner.mjs';\nconst inner = innerModule.default && !innerModule.handler ? innerModule.default : innerModule;";
  const exported = format === 'cjs' ? 'module.exports[exportName] =' : 'export const handler =';
  return `// Written by local/faults/runtime-faults.ts: runs the real handler, then injects a runtime fault by rate.
${header}
const settings = JSON.parse(process.env.${RUNTIME_FAULTS_VARIABLE} || '{}');
const exportName = settings.exportName || 'handler';
function report(kind, event) {
  const records = (event && Array.isArray(event.Records) && event.Records.length) || 0;
  console.log(JSON.stringify({ ${FAULT_LOG_KEY}: kind, records }));
}
function draw(kind, event) {
  const first = (event && Array.isArray(event.Records) && event.Records[0]) || {};
  const receives = (first.attributes && first.attributes.ApproximateReceiveCount) || '';
  const digest = createHash('sha256').update(String(settings.seed) + '|' + kind + '|' + first.messageId + '|' + receives).digest();
  return digest.readUInt32BE(0) / 4294967296;
}
${exported} async function (event, context) {
  const result = await inner[exportName](event, context);
  const rates = settings.rates || {};
  if (draw('crash', event) < (rates.crash || 0)) {
    report('crash', event);
    throw new Error('Injected runtime fault: crash after the handler committed');
  }
  if (draw('timeout', event) < (rates.timeout || 0)) {
    report('timeout', event);
    await new Promise(() => {});
  }
  return result;
};
`;
}

/** Wraps deployed functions with the fault hook and counts the faults they inject. */
export class RuntimeFaults {
  /** How many faults of each kind the wrapped function reported so far. */
  readonly injected: Record<RuntimeFaultKind, number> = { crash: 0, timeout: 0 };
  /** Messages in the faulted invocations (each comes back for another delivery). */
  recordsAffected = 0;
  private detach: (() => void) | undefined;
  private original: { lambda: LambdaService; definition: FunctionDefinition } | undefined;

  constructor(private readonly options: RuntimeFaultOptions) {}

  /**
   * Replaces `functionName`'s code by the wrapped code (warm environments are discarded; event
   * source mappings keep running) and starts counting its fault log lines.
   */
  install(lambda: LambdaService, functionName: string): void {
    const definition = lambda.getFunction(functionName);
    if (!definition) throw new Error(`no function ${functionName} to wrap`);
    this.original = { lambda, definition };
    const dot = definition.handler.lastIndexOf('.');
    const moduleName = definition.handler.slice(0, dot);
    const exportName = definition.handler.slice(dot + 1);
    const source = ['.js', '.mjs', '.cjs']
      .map((ext) => join(definition.codeDirectory, moduleName + ext))
      .find(existsSync);
    if (!source) throw new Error(`cannot wrap ${definition.handler}: no module file ${moduleName}`);
    const extension = source.slice(source.lastIndexOf('.'));
    const format =
      extension === '.mjs' || (extension === '.js' && isModulePackage(definition.codeDirectory))
        ? 'esm'
        : 'cjs';
    const directory = join(this.options.workDir, `${functionName}-${this.options.seed}`);
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory, { recursive: true });
    cpSync(definition.codeDirectory, directory, { recursive: true });
    renameSync(
      join(directory, moduleName + extension),
      join(directory, format === 'esm' ? 'inner.mjs' : 'inner.cjs'),
    );
    writeFileSync(join(directory, format === 'esm' ? 'index.mjs' : 'index.js'), wrapperSource(format));
    lambda.registerFunction(
      {
        name: definition.name,
        codeDirectory: directory,
        handler: format === 'esm' ? 'index.handler' : `index.${exportName}`,
        runtime: definition.runtime,
        timeout: definition.timeout,
        memorySize: definition.memorySize,
        environment: {
          ...definition.environment,
          [RUNTIME_FAULTS_VARIABLE]: JSON.stringify({
            seed: this.options.seed,
            rates: this.options.rates,
            exportName,
          }),
        },
        ...(definition.role ? { role: definition.role } : {}),
      },
      { replace: true },
    );
    this.detach?.();
    this.detach = lambda.onLogLine((name, line) => {
      if (name !== functionName || !line.includes(FAULT_LOG_KEY)) return;
      const kind = /"oncelyRuntimeFault":"(\w+)"/.exec(line)?.[1];
      if (kind !== 'crash' && kind !== 'timeout') return;
      this.injected[kind]++;
      this.recordsAffected += Number(/"records":(\d+)/.exec(line)?.[1] ?? 0);
    });
  }

  /** Puts the function's own code back (no more runtime faults) and stops counting. */
  uninstall(): void {
    if (this.original) {
      const { lambda, definition } = this.original;
      lambda.registerFunction(
        {
          name: definition.name,
          codeDirectory: definition.codeDirectory,
          handler: definition.handler,
          runtime: definition.runtime,
          timeout: definition.timeout,
          memorySize: definition.memorySize,
          environment: definition.environment,
          ...(definition.role ? { role: definition.role } : {}),
        },
        { replace: true },
      );
      this.original = undefined;
    }
    this.close();
  }

  /** Stops counting (the wrapped code stays until the function is replaced again). */
  close(): void {
    this.detach?.();
    this.detach = undefined;
  }
}

/** Whether a code directory's own package.json makes `.js` files ES modules (as Lambda decides). */
function isModulePackage(directory: string): boolean {
  try {
    return (
      (JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { type?: string }).type ===
      'module'
    );
  } catch {
    return false;
  }
}
