/**
 * How the monitoring services reach the rest of the local cloud: invoking a Lambda function and
 * sending to an SQS queue. Both are ports, so the local cloud (or a test) can wire them to
 * anything; the defaults go through the real SDK against the local cloud's own endpoint, which
 * keeps these services independent of the Lambda and SQS emulators' internals.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_REGION } from '../protocol.js';

/** Invokes a Lambda function asynchronously (InvocationType Event) with an event. */
export interface FunctionInvoker {
  invoke(functionArnOrName: string, event: unknown): Promise<void>;
}

/** Sends one message to an SQS queue named by its ARN. */
export interface QueueSender {
  send(
    queueArn: string,
    body: string,
    options?: { readonly messageGroupId?: string; readonly messageDeduplicationId?: string },
  ): Promise<void>;
}

/** The endpoint of the running local cloud; undefined until it listens. */
export type EndpointSource = () => string | undefined;

const LOCAL_CREDENTIALS = { accessKeyId: 'oncely', secretAccessKey: 'oncely-local' };

function requireEndpoint(endpoint: EndpointSource): string {
  const url = endpoint();
  if (!url) throw new Error('the local cloud is not listening yet; cannot deliver');
  return url;
}

/** Region encoded in an ARN (`arn:aws:lambda:eu-west-1:...`), else the default. */
export function regionOfArn(arn: string): string {
  return arn.startsWith('arn:') ? arn.split(':')[3] || DEFAULT_REGION : DEFAULT_REGION;
}

/** Default invoker: Lambda `Invoke` with `InvocationType: Event` through the SDK. */
export class SdkFunctionInvoker implements FunctionInvoker {
  private readonly clients = new Map<string, LambdaClient>();

  constructor(private readonly endpoint: EndpointSource) {}

  async invoke(functionArnOrName: string, event: unknown): Promise<void> {
    const region = regionOfArn(functionArnOrName);
    let client = this.clients.get(region);
    if (!client) {
      client = new LambdaClient({
        region,
        endpoint: requireEndpoint(this.endpoint),
        credentials: LOCAL_CREDENTIALS,
      });
      this.clients.set(region, client);
    }
    await client.send(
      new InvokeCommand({
        FunctionName: functionArnOrName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    );
  }

  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}

/** Default sender: `GetQueueUrl` (by the ARN's name and account) then `SendMessage` through the SDK. */
export class SdkQueueSender implements QueueSender {
  private readonly clients = new Map<string, SQSClient>();
  private readonly urls = new Map<string, string>();

  constructor(private readonly endpoint: EndpointSource) {}

  async send(
    queueArn: string,
    body: string,
    options: { readonly messageGroupId?: string; readonly messageDeduplicationId?: string } = {},
  ): Promise<void> {
    const [, , , region = DEFAULT_REGION, account, name] = queueArn.split(':');
    if (!name) throw new Error(`not an SQS queue ARN: ${queueArn}`);
    let client = this.clients.get(region);
    if (!client) {
      client = new SQSClient({
        region,
        endpoint: requireEndpoint(this.endpoint),
        credentials: LOCAL_CREDENTIALS,
      });
      this.clients.set(region, client);
    }
    let url = this.urls.get(queueArn);
    if (!url) {
      const found = await client.send(
        new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }),
      );
      url = found.QueueUrl!;
      this.urls.set(queueArn, url);
    }
    const fifo = name.endsWith('.fifo');
    await client.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        ...(fifo ? { MessageGroupId: options.messageGroupId ?? 'default' } : {}),
        ...(fifo && options.messageDeduplicationId
          ? { MessageDeduplicationId: options.messageDeduplicationId }
          : {}),
      }),
    );
  }

  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}

/** One attempted delivery, kept (bounded) for inspection by tests and the CLI. */
export interface DeliveryRecord {
  readonly source: string;
  readonly target: string;
  readonly kind: 'lambda' | 'sqs' | 'sns' | 'email' | 'other';
  readonly ok: boolean;
  readonly error?: string;
  readonly at: number;
}

/**
 * Runs deliveries in the background (an alarm or rule never waits for its targets, as on AWS),
 * remembers their outcome, and lets tests wait until everything in flight has finished.
 */
export class DeliveryTracker {
  private readonly pending = new Set<Promise<void>>();
  readonly log: DeliveryRecord[] = [];

  constructor(
    private readonly now: () => number,
    private readonly limit = 1000,
  ) {}

  run(source: string, target: string, kind: DeliveryRecord['kind'], work: () => Promise<void>): void {
    const task = (async () => {
      try {
        await work();
        this.remember({ source, target, kind, ok: true, at: this.now() });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.remember({ source, target, kind, ok: false, error: message, at: this.now() });
      }
    })();
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  /** Resolves once no delivery is in flight (including deliveries started by deliveries). */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private remember(record: DeliveryRecord): void {
    this.log.push(record);
    if (this.log.length > this.limit) this.log.splice(0, this.log.length - this.limit);
  }
}
