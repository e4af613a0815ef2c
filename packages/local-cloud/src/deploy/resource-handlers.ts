/**
 * How the template deployer creates a resource of one CloudFormation type. The deployer ships
 * handlers for SQS, DynamoDB and Lambda; other emulators (CloudWatch, EventBridge, SNS) plug theirs
 * in, either with `registerResourceHandler` or by exposing `resourceHandlers` on their LocalService.
 */
import type { LocalCloud } from '../server.js';

/** Everything a handler may use while it creates one resource. */
export interface ResourceHandlerContext {
  readonly cloud: LocalCloud;
  /** `http://127.0.0.1:4566`: handlers that are API clients (SQS, DynamoDB) call this. */
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly logicalId: string;
  /** The directory of the template: asset manifests live here, asset paths are relative to it. */
  readonly assetDir: string;
  /** The cloud assembly's root, which no asset path may leave (the same as `assetDir` unless nested). */
  readonly assemblyDir: string;
  /** The demo's accelerated time; 1 in real time. */
  readonly timeScale: number;
  /**
   * A physical name as CloudFormation generates one, `<stack>-<logicalId>-<random>`, shortened to
   * `maxLength` (including `suffix`, e.g. `.fifo`).
   */
  generateName(maxLength: number, suffix?: string): string;
  /** Adds a warning to the deployment summary. */
  warn(message: string): void;
}

/** The result of creating a resource: what `Ref` and `Fn::GetAtt` return for it. */
export interface ProvisionedResource {
  readonly physicalId: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
  /**
   * `created` (emulated), or `accepted` (recorded without effect, e.g. IAM: the local cloud does
   * not enforce permissions).
   */
  readonly status?: 'created' | 'accepted';
}

export interface ResourceHandler {
  /** `properties` arrive with every intrinsic resolved. */
  create(properties: Record<string, unknown>, context: ResourceHandlerContext): Promise<ProvisionedResource>;
}

/** Resource types and their handlers. */
export class ResourceHandlerRegistry {
  private readonly handlers = new Map<string, ResourceHandler>();

  register(type: string, handler: ResourceHandler): this {
    this.handlers.set(type, handler);
    return this;
  }

  get(type: string): ResourceHandler | undefined {
    return this.handlers.get(type);
  }

  types(): string[] {
    return [...this.handlers.keys()];
  }
}

/**
 * Handlers registered by other modules for every deployment. Services can instead expose a
 * `resourceHandlers` record (type -> handler) on their LocalService, which needs no registration.
 */
export const sharedResourceHandlers = new ResourceHandlerRegistry();

/**
 * Makes `type` deployable by every later `deployTemplate` call.
 * @example registerResourceHandler('AWS::CloudWatch::Alarm', { create: async (props, ctx) => ... })
 */
export function registerResourceHandler(type: string, handler: ResourceHandler): void {
  sharedResourceHandlers.register(type, handler);
}

/** The handlers services of the cloud expose themselves (duck-typed `resourceHandlers`). */
export function serviceResourceHandlers(cloud: LocalCloud): ResourceHandlerRegistry {
  const registry = new ResourceHandlerRegistry();
  for (const service of Object.values(cloud.services)) {
    const handlers = (service as { resourceHandlers?: Record<string, ResourceHandler> }).resourceHandlers;
    for (const [type, handler] of Object.entries(handlers ?? {})) registry.register(type, handler);
  }
  return registry;
}
