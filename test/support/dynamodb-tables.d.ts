/**
 * Test fixture: create and delete DynamoDB tables through the real SDK. Names carry the test
 * cloud's prefix, so runs against a shared CONFORMANCE_ENDPOINT do not collide.
 */
import { type DynamoDBClient, type Projection, type ScalarAttributeType } from '@aws-sdk/client-dynamodb';
import type { TestCloud } from './local-cloud.js';
/** A key attribute: its name and scalar type. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: ScalarAttributeType;
}
/** A secondary index: its keys and what it projects. */
export interface IndexSpec {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** @default { ProjectionType: 'ALL' } */
  readonly projection?: Projection;
}
export interface TableSpec {
  /** @default { name: 'pk', type: 'S' } */
  readonly partitionKey?: KeyAttribute;
  /** @default no sort key */
  readonly sortKey?: KeyAttribute;
  /** @default none */
  readonly globalIndexes?: readonly IndexSpec[];
  /** Local indexes share the table's partition key. @default none */
  readonly localIndexes?: readonly IndexSpec[];
}
/**
 * Sends CreateTable for an on-demand table and returns without waiting for it to become ACTIVE
 * (the local cloud creates tables at once; against AWS use {@link createTable}, which waits).
 */
export declare function requestTable(dynamodb: DynamoDBClient, name: string, spec?: TableSpec): Promise<void>;
/**
 * Creates an on-demand table named `<prefix>-<suffix>` and waits until it is ACTIVE.
 *
 * @returns the full table name
 */
export declare function createTable(cloud: TestCloud, suffix: string, spec?: TableSpec): Promise<string>;
/** Deletes a table, ignoring failures: cleanup must not fail a run, and the table may be gone. */
export declare function deleteTable(cloud: TestCloud, name: string | undefined): Promise<void>;
