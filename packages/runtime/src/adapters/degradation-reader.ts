/** Reads the pipeline's degradation level from the control table (the scaler writes it). */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DegradationReader } from '../core/consumer/ports.js';
import { CONTROL, type DegradationLevel, PARTITION_KEY } from '../core/tables.js';

const LEVELS: ReadonlySet<string> = new Set<DegradationLevel>(['normal', 'elevated', 'critical']);

/**
 * The consumer's DegradationReader: the `level` of the control table's `degradation` item.
 *
 * @example
 * const degradation = new DynamoDbDegradationReader(clients.documents, controlTable);
 * await degradation.read(); // 'normal' | 'elevated' | 'critical'
 */
export class DynamoDbDegradationReader implements DegradationReader {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly controlTable: string,
  ) {}

  /** `normal` when the item or its level is missing or unknown: degrade only when told to. */
  async read(): Promise<DegradationLevel> {
    const result = await this.documents.send(
      new GetCommand({
        TableName: this.controlTable,
        Key: { [PARTITION_KEY]: CONTROL.degradationKey },
        ProjectionExpression: '#level',
        ExpressionAttributeNames: { '#level': 'level' },
      }),
    );
    const level = result.Item?.level;
    return typeof level === 'string' && LEVELS.has(level) ? (level as DegradationLevel) : 'normal';
  }
}
