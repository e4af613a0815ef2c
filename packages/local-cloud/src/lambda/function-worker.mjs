// One execution environment of a local Lambda function: a worker thread with its own
// process.env (the Worker `env` option) and its own module cache. Plain JavaScript on purpose:
// worker threads start without the TypeScript loader, and this file must run under tsx, vitest
// and plain node alike.
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const { codeDirectory, handler: handlerSpec } = workerData;
let loaded;

/** Lambda's resolution of `index.handler`: module file `index` in the code directory, export `handler`. */
async function loadHandler() {
  const dot = handlerSpec.lastIndexOf('.');
  if (dot <= 0) throw runtimeError('Runtime.MalformedHandlerName', `Bad handler ${handlerSpec}`);
  const modulePath = handlerSpec.slice(0, dot);
  const exportName = handlerSpec.slice(dot + 1);
  const file = findModuleFile(modulePath);
  const exports = isEsm(file) ? await import(pathToFileURL(file).href) : loadCommonJs(file);
  const fn = exports[exportName] ?? exports.default?.[exportName];
  if (typeof fn !== 'function') {
    throw runtimeError('Runtime.HandlerNotFound', `${modulePath}.${exportName} is undefined or not exported`);
  }
  return fn;
}

/**
 * The handler's module file, which must lie inside the code directory: a handler such as
 * `../../elsewhere/index.handler`, or a symlink out of the package, would make the local cloud run
 * code from anywhere on this machine.
 */
function findModuleFile(modulePath) {
  const root = realpathSync(codeDirectory);
  const base = resolve(root, modulePath);
  if (isAbsolute(modulePath) || !isInside(root, base)) {
    throw runtimeError(
      'Runtime.MalformedHandlerName',
      `Bad handler ${handlerSpec}: the module must be inside the function's code directory`,
    );
  }
  for (const extension of ['.js', '.mjs', '.cjs']) {
    let real;
    try {
      real = realpathSync(base + extension);
    } catch {
      continue;
    }
    if (!isInside(root, real)) {
      throw runtimeError(
        'Runtime.ImportModuleError',
        `Error: ${modulePath}${extension} links outside the function's code directory`,
      );
    }
    return real;
  }
  throw runtimeError('Runtime.ImportModuleError', `Error: Cannot find module '${base}'`);
}

function isInside(root, path) {
  const relation = relative(root, path);
  return relation === '' || (relation !== '..' && !relation.startsWith(`..${sep}`) && !isAbsolute(relation));
}

/**
 * Like Lambda, the package scope ends at the code directory: a `.js` file is CommonJS unless the
 * code directory's own package.json says `"type": "module"` (a repository-level package.json above
 * `cdk.out` must not turn esbuild's CommonJS bundles into ES modules).
 */
function isEsm(file) {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  try {
    return JSON.parse(readFileSync(join(codeDirectory, 'package.json'), 'utf8')).type === 'module';
  } catch {
    return false;
  }
}

function loadCommonJs(file) {
  const localRequire = createRequire(file);
  // Lambda provides the AWS SDK; bundles mark it external. Fall back to this project's node_modules.
  const fallbackRequire = createRequire(import.meta.url);
  const require = (id) => {
    try {
      return localRequire(id);
    } catch (error) {
      if (error?.code !== 'MODULE_NOT_FOUND') throw error;
      return fallbackRequire(id);
    }
  };
  Object.assign(require, { resolve: localRequire.resolve, cache: localRequire.cache });
  const module = { exports: {}, filename: file, id: file, loaded: false };
  const source = readFileSync(file, 'utf8').replace(/^#!.*/, '');
  const wrapper = new Function('exports', 'require', 'module', '__filename', '__dirname', source);
  wrapper.call(module.exports, module.exports, require, module, file, dirname(file));
  module.loaded = true;
  return module.exports;
}

function runtimeError(errorType, message) {
  const error = new Error(message);
  error.errorType = errorType;
  return error;
}

function describeError(error) {
  if (error instanceof Error) {
    return {
      errorType: error.errorType ?? error.name ?? 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}

function makeContext(message) {
  const fields = message.context;
  const deadline = Date.now() + message.timeoutMs;
  return {
    ...fields,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    succeed() {},
    fail() {},
  };
}

/** Async handlers return a promise; legacy handlers take a callback as third argument. */
function callHandler(fn, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (error, result) => (error ? reject(error) : resolve(result));
    try {
      const returned = fn(event, context, callback);
      if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
      else if (fn.length < 3) resolve(returned);
    } catch (error) {
      reject(error);
    }
  });
}

/**
 * The platform lines Lambda writes around every invocation. They go through this worker's own
 * stdout, so they stay in order with the function's output.
 */
function platformLine(text) {
  process.stdout.write(`${text}\n`);
}

parentPort.on('message', async (message) => {
  if (message.type !== 'invoke') return;
  const requestId = message.context.awsRequestId;
  const startedAt = performance.now();
  platformLine(`START RequestId: ${requestId} Version: $LATEST`);
  let outcome;
  try {
    // A failed init is retried on the next invocation, as Lambda re-initialises the environment.
    loaded ??= loadHandler().catch((error) => {
      loaded = undefined;
      throw error;
    });
    const fn = await loaded;
    parentPort.postMessage({ type: 'initialized', id: message.id });
    const result = await callHandler(fn, message.event, makeContext(message));
    const payload = result === undefined ? 'null' : JSON.stringify(result);
    outcome = { type: 'result', id: message.id, ok: true, payload: payload ?? 'null' };
  } catch (error) {
    outcome = { type: 'result', id: message.id, ok: false, error: describeError(error) };
    platformLine(
      `${new Date().toISOString()}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify(outcome.error)}`,
    );
  }
  const duration = performance.now() - startedAt;
  const memoryUsed = Math.ceil(process.memoryUsage().heapUsed / (1024 * 1024));
  platformLine(`END RequestId: ${requestId}`);
  platformLine(
    `REPORT RequestId: ${requestId}\tDuration: ${duration.toFixed(2)} ms\tBilled Duration: ${Math.ceil(duration)} ms\t` +
      `Memory Size: ${message.context.memoryLimitInMB} MB\tMax Memory Used: ${memoryUsed} MB`,
  );
  parentPort.postMessage(outcome);
});
