/**
 * AWS list prices used to estimate cost per million events. Dated constants, us-east-1, beyond
 * the free tier; check the sources before relying on them for a budget.
 */
export const PRICES = {
  asOf: '2024-11-01',
  region: 'us-east-1',
  sources: [
    'https://aws.amazon.com/sqs/pricing/',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    'https://aws.amazon.com/lambda/pricing/',
  ],
  /** USD per million SQS requests (each 64 KB chunk of a payload is one request). */
  sqsStandardPerMillionRequests: 0.4,
  sqsFifoPerMillionRequests: 0.5,
  /** USD per million on-demand write / read request units (transactional requests use 2 units per KB). */
  dynamodbPerMillionWriteUnits: 0.625,
  dynamodbPerMillionReadUnits: 0.125,
  /** USD per million Lambda invocations and per GB-second on arm64. */
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
} as const;

export interface UsageCounts {
  readonly sqsRequests: number;
  readonly dynamodbWriteUnits: number;
  readonly dynamodbReadUnits: number;
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
}

/** Estimated USD for a million events, given the usage of `events` events. */
export function costPerMillionEvents(usage: UsageCounts, events: number, queue: 'fifo' | 'standard'): number {
  if (events <= 0) return 0;
  const scale = 1_000_000 / events;
  const sqsPrice = queue === 'fifo' ? PRICES.sqsFifoPerMillionRequests : PRICES.sqsStandardPerMillionRequests;
  const usd =
    (usage.sqsRequests / 1e6) * sqsPrice +
    (usage.dynamodbWriteUnits / 1e6) * PRICES.dynamodbPerMillionWriteUnits +
    (usage.dynamodbReadUnits / 1e6) * PRICES.dynamodbPerMillionReadUnits +
    (usage.lambdaInvocations / 1e6) * PRICES.lambdaPerMillionRequests +
    usage.lambdaGbSeconds * PRICES.lambdaArmPerGbSecond;
  return usd * scale;
}
