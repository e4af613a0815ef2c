/**
 * The scaler's state in the control table's degradation item (`pk = 'degradation'`). Consumers read
 * `level` from the same item; the scaler also keeps the last applied state of every backlog alarm
 * and a version number for its conditional writes.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ScalingState, ScalingStateStore } from '../core/scaling-policy.js';
import { CONTROL, PARTITION_KEY } from '../core/tables.js';

interface DegradationItem extends ScalingState {
  readonly pk: string;
  readonly version: number;
  /** When the scaler wrote the item (epoch ms); `updatedAt` is the alarm event's own timestamp. */
  readonly writtenAt: number;
}

/**
 * The scaler's ScalingStateStore: the control table's `degradation` item, written with a version condition.
 *
 * @example
 * const store = new DynamoDbScalingStateStore(clients.documents, controlTable);
 * await applyAlarmEvent(policy, change, { store, control });
 */
export class DynamoDbScalingStateStore implements ScalingStateStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<{ state: ScalingState; version: number } | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PARTITION_KEY]: CONTROL.degradationKey },
        ConsistentRead: true,
      }),
    );
    if (!Item || typeof Item.version !== 'number') return undefined;
    const item = Item as DegradationItem;
    return {
      state: {
        level: item.level,
        maximumConcurrency: item.maximumConcurrency,
        alarms: item.alarms ?? {},
        updatedAt: item.updatedAt,
      },
      version: item.version,
    };
  }

  async save(state: ScalingState, expectedVersion: number): Promise<boolean> {
    const item: DegradationItem = {
      pk: CONTROL.degradationKey,
      ...state,
      version: expectedVersion + 1,
      writtenAt: this.now(),
    };
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          // An item written by hand (no version) counts as version 0, so an operator can seed the level.
          ConditionExpression:
            expectedVersion === 0 ? 'attribute_not_exists(#version)' : '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
