/**
 * Seeded random DynamoDB requests for the differential run against DynamoDB Local: valid and
 * invalid PutItem/UpdateItem/DeleteItem/GetItem/Query/Scan/TransactWriteItems/TransactGetItems/BatchWriteItem/BatchGetItem requests over two
 * small tables, so that keys collide, conditions flip and AWS's validation rules are exercised
 * (reserved words, bad expressions, type mismatches, key paths, overlapping paths, limits).
 */

export type Body = Record<string, unknown>;

/** One request, in the wire shape both endpoints receive. */
export interface Operation {
  readonly operation: string;
  readonly body: Body;
  /** Which kind of request this is, for counts (e.g. `UpdateItem` or `Query:index`). */
  readonly kind: string;
}

/** The tables every run creates on both endpoints; names get the run's prefix. */
export interface TableNames {
  readonly simple: string;
  readonly sorted: string;
}

export function tableDefinitions(names: TableNames): Body[] {
  return [
    {
      TableName: names.simple,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    },
    {
      TableName: names.sorted,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
        { AttributeName: 'g', AttributeType: 'S' },
        { AttributeName: 'l', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byGroup',
          KeySchema: [
            { AttributeName: 'g', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['a', 'tags'] },
        },
        {
          IndexName: 'groupKeys',
          KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: 'byLocal',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'l', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    },
  ];
}

/** mulberry32: a small, fast, seedable PRNG. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLAIN_NAMES = ['a', 'b', 'c', 'n', 'm', 'lst', 'tags', 'nums', 'flag', 'g', 'l'];
/** Names on AWS's reserved-word list (and REMOVE, a clause keyword that is not on it). */
const RESERVED_NAMES = [
  'status',
  'data',
  'name',
  'size',
  'missing',
  'comment',
  'value',
  'year',
  'count',
  'convert',
  'remove',
  'Date',
  'ttl',
  'key',
];
const MAP_KEYS = ['x', 'y', 'z', 'a'];
const STRINGS = ['x', 'y', 'abc', 'ab', '', 'zz', 'x y'];
const NUMBERS = [
  '0',
  '1',
  '2',
  '-1',
  '3.5',
  '10',
  '1e2',
  '01.50',
  '-0',
  '100',
  '0.001',
  '-7',
  '12345678901234567890123456789012345678',
  '-1.5e-3',
  '5E+1',
];
const BAD_NUMBERS = [
  ' 3',
  '3 ',
  'abc',
  '1e200',
  '',
  '1.2.3',
  '--1',
  '1e-200',
  '123456789012345678901234567890123456789',
];
const BINARIES = ['AAE=', 'AQI=', 'YWI=', 'YQ=='];

class Builder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private nameCount = 0;
  private valueCount = 0;

  constructor(private readonly random: () => number) {}

  /** An attribute name as it appears in an expression: bare, or through a `#` placeholder. */
  name(attribute: string): string {
    const reserved = RESERVED_NAMES.includes(attribute);
    // Reserved words usually go through a placeholder; sometimes they do not (AWS rejects that).
    const placeholder = reserved ? this.random() < 0.8 : this.random() < 0.2;
    if (!placeholder) return attribute;
    const key = `#n${this.nameCount++}`;
    this.names[key] = attribute;
    return key;
  }

  value(value: unknown): string {
    const key = `:v${this.valueCount++}`;
    this.values[key] = value;
    return key;
  }

  /** Adds ExpressionAttributeNames/Values to a request when there are any. */
  apply(body: Body): Body {
    if (Object.keys(this.names).length > 0) body.ExpressionAttributeNames = this.names;
    if (Object.keys(this.values).length > 0) body.ExpressionAttributeValues = this.values;
    return body;
  }
}

export class OperationGenerator {
  private readonly random: () => number;

  constructor(
    seed: number,
    private readonly tables: TableNames,
  ) {
    this.random = seededRandom(seed);
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.random() * values.length)]!;
  }

  private int(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low + 1));
  }

  private attributeName(): string {
    return this.chance(0.2) ? this.pick(RESERVED_NAMES) : this.pick(PLAIN_NAMES);
  }

  private subset<T>(values: readonly T[]): T[] {
    const chosen = values.filter(() => this.chance(0.5));
    return chosen.length > 0 ? chosen : [values[0]!];
  }

  /** A random attribute value, valid unless `invalid` allows a bad one now and then. */
  value(depth = 0, invalid = false): unknown {
    if (invalid && this.chance(0.05)) {
      return this.pick([
        { N: this.pick(BAD_NUMBERS) },
        { M: { '': { S: 'empty name' } } },
        { SS: [] },
        { SS: ['x', 'x'] },
        { NS: ['1', '1.0'] },
        { NULL: false },
        {},
        { S: 'x', N: '1' },
      ]);
    }
    const type = this.pick(['S', 'S', 'N', 'N', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', 'L', 'M']);
    switch (type) {
      case 'S':
        return { S: this.pick(STRINGS) };
      case 'N':
        return { N: this.pick(NUMBERS) };
      case 'B':
        return { B: this.pick(BINARIES) };
      case 'BOOL':
        return { BOOL: this.chance(0.5) };
      case 'NULL':
        return { NULL: true };
      case 'SS':
        return { SS: this.subset(['x', 'y', 'z']) };
      case 'NS':
        return { NS: this.subset(['1', '2', '3', '-1.5']) };
      case 'BS':
        return { BS: this.subset(['AAE=', 'AQI=']) };
      case 'L':
        if (depth > 2) return { L: [] };
        return { L: Array.from({ length: this.int(0, 3) }, () => this.value(depth + 1, invalid)) };
      default: {
        if (depth > 2) return { M: {} };
        const entries: Record<string, unknown> = {};
        for (let i = this.int(0, 3); i > 0; i--)
          entries[this.pick(MAP_KEYS)] = this.value(depth + 1, invalid);
        return { M: entries };
      }
    }
  }

  /** A value whose type usually suits the attribute (numbers for `n`, sets for `tags`...). */
  private valueFor(name: string, invalid = false): unknown {
    if (this.chance(0.25)) return this.value(0, invalid);
    switch (name) {
      case 'n':
      case 'count':
      case 'year':
        return { N: this.pick(NUMBERS) };
      case 'tags':
        return { SS: this.subset(['x', 'y', 'z']) };
      case 'nums':
        return { NS: this.subset(['1', '2', '3']) };
      case 'lst':
        return { L: [{ S: 'x' }, { N: '1' }].slice(0, this.int(0, 2)) };
      case 'm':
        return { M: { x: { S: this.pick(STRINGS) }, y: { N: this.pick(NUMBERS) } } };
      case 'g':
      case 'l':
        return { S: this.pick(['g1', 'g2', 'g3']) };
      default:
        return this.value(0, invalid);
    }
  }

  private hashKey(): unknown {
    return { S: `p${this.int(0, 4)}` };
  }

  private sortKey(): unknown {
    return { N: String(this.int(0, 6)) };
  }

  private isSorted(table: string): boolean {
    return table === this.tables.sorted;
  }

  private table(): string {
    return this.chance(0.6) ? this.tables.sorted : this.tables.simple;
  }

  /** A Key for the table; now and then a wrong one (type, missing or extra attribute, empty string). */
  key(table: string, invalid = true): Body {
    const key: Body = { pk: this.hashKey() };
    if (this.isSorted(table)) key.sk = this.sortKey();
    if (invalid && this.chance(0.04)) {
      switch (this.int(0, 4)) {
        case 0:
          key.pk = { N: '1' };
          break;
        case 1:
          if (this.isSorted(table)) delete key.sk;
          else key.extra = { S: 'x' };
          break;
        case 2:
          key.pk = { S: '' };
          break;
        case 3:
          key.a = { S: 'x' };
          break;
        default:
          if (this.isSorted(table)) key.sk = { N: this.pick(BAD_NUMBERS) };
          else key.pk = { B: 'AAE=' };
      }
    }
    return key;
  }

  private item(table: string): Body {
    const item = this.key(table);
    for (let i = this.int(0, 4); i > 0; i--) {
      const name = this.attributeName();
      if (name === 'pk' || name === 'sk') continue;
      item[name] = this.valueFor(name, true);
    }
    if (this.chance(0.02)) item[''] = { S: 'empty name' };
    if (this.chance(0.02)) item.big = { S: 'x'.repeat(this.pick([400 * 1024, 399 * 1024, 200 * 1024])) };
    return item;
  }

  /** A document path: a name, maybe with `.member` or `[index]` steps; now and then into a key. */
  private path(builder: Builder, allowKeys = false): string {
    if (allowKeys && this.chance(0.05)) return `${builder.name(this.pick(['pk', 'sk']))}.x`;
    let path = builder.name(allowKeys && this.chance(0.1) ? this.pick(['pk', 'sk']) : this.attributeName());
    if (this.chance(0.25)) {
      path += this.chance(0.5) ? `.${builder.name(this.pick(MAP_KEYS))}` : `[${this.int(0, 2)}]`;
    }
    return path;
  }

  private operand(builder: Builder): string {
    if (this.chance(0.55)) return builder.value(this.value());
    if (this.chance(0.15)) return `size(${this.path(builder)})`;
    return this.path(builder, true);
  }

  /** A condition: comparisons, BETWEEN, IN, functions, AND/OR/NOT, and some AWS rejects. */
  condition(builder: Builder, depth = 0): string {
    const roll = this.random();
    if (depth < 2 && roll < 0.18) {
      const joiner = this.pick([' AND ', ' OR ']);
      const left = this.condition(builder, depth + 1);
      const right = this.condition(builder, depth + 1);
      return this.chance(0.3) ? `(${left})${joiner}${right}` : `${left}${joiner}${right}`;
    }
    if (depth < 2 && roll < 0.24) return `NOT ${this.condition(builder, depth + 1)}`;
    if (roll < 0.26) return `((${this.condition(builder, depth + 1)}))`;
    if (roll < 0.3) {
      const same = this.path(builder);
      return `${same} ${this.pick(['=', '<>', '<'])} ${same}`;
    }
    if (roll < 0.34) {
      return this.pick([
        `${this.path(builder)} = = ${builder.value({ S: 'x' })}`,
        `${this.path(builder)} =`,
        `AND ${this.path(builder)} = ${builder.value({ S: 'x' })}`,
        `unknown_fn(${this.path(builder)})`,
        `${this.path(builder)} IN ()`,
        `attribute_exists(${builder.value({ S: 'x' })})`,
        `begins_with(${this.path(builder)})`,
        `${this.path(builder)} BETWEEN ${builder.value({ N: '1' })}`,
      ]);
    }
    if (roll < 0.5) {
      return `${this.operand(builder)} ${this.pick(['=', '<>', '<', '<=', '>', '>='])} ${this.operand(builder)}`;
    }
    if (roll < 0.58) {
      const low = this.chance(0.8) ? { N: this.pick(NUMBERS) } : this.value();
      const high = this.chance(0.8) ? { N: this.pick(NUMBERS) } : this.value();
      return `${this.operand(builder)} BETWEEN ${builder.value(low)} AND ${builder.value(high)}`;
    }
    if (roll < 0.64) {
      const candidates = Array.from({ length: this.int(1, 3) }, () => builder.value(this.value()));
      return `${this.path(builder, true)} IN (${candidates.join(', ')})`;
    }
    switch (this.int(0, 5)) {
      case 0:
        return `attribute_exists(${this.path(builder, true)})`;
      case 1:
        return `attribute_not_exists(${this.path(builder, true)})`;
      case 2:
        return `attribute_type(${this.path(builder)}, ${builder.value({ S: this.pick(['S', 'N', 'SS', 'M', 'L', 'BOOL', 'NULL', 'B', 'X']) })})`;
      case 3:
        return `begins_with(${this.path(builder)}, ${builder.value(this.chance(0.85) ? { S: this.pick(STRINGS) } : this.value())})`;
      case 4:
        return `contains(${this.path(builder)}, ${builder.value(this.chance(0.7) ? { S: this.pick(['x', 'y', 'a']) } : this.value())})`;
      default:
        return `size(${this.path(builder)}) ${this.pick(['=', '>', '<='])} ${builder.value({ N: String(this.int(0, 3)) })}`;
    }
  }

  private setValue(builder: Builder, target: string): string {
    switch (this.int(0, 7)) {
      case 0:
      case 1:
        return builder.value(this.valueFor(target, true));
      case 2:
        return this.path(builder);
      case 3:
        return `${this.path(builder)} ${this.pick(['+', '-'])} ${builder.value(this.chance(0.8) ? { N: this.pick(NUMBERS) } : this.value())}`;
      case 4:
        return `${builder.value(this.chance(0.8) ? { N: this.pick(NUMBERS) } : this.value())} ${this.pick(['+', '-'])} ${builder.value(this.chance(0.8) ? { N: this.pick(NUMBERS) } : this.value())}`;
      case 5:
        return `if_not_exists(${this.path(builder)}, ${builder.value(this.valueFor(target))})`;
      case 6: {
        const list = builder.value(this.chance(0.85) ? { L: [{ S: 'x' }] } : this.value());
        return this.chance(0.5)
          ? `list_append(${this.path(builder)}, ${list})`
          : `list_append(${list}, ${this.path(builder)})`;
      }
      default:
        return `${this.path(builder)} + ${this.path(builder)}`;
    }
  }

  /** An update expression of one to four actions; now and then overlapping paths or bad operands. */
  update(builder: Builder): string {
    const clauses: Record<string, string[]> = {};
    const add = (clause: string, action: string) => {
      clauses[clause] ??= [];
      clauses[clause].push(action);
    };
    const used: string[] = [];
    for (let i = this.int(1, 4); i > 0; i--) {
      let target = this.chance(0.08) && used.length > 0 ? this.pick(used) : this.path(builder, true);
      if (this.chance(0.04) && used.length > 0)
        target = `${this.pick(used)}${this.chance(0.5) ? '.x' : '[0]'}`;
      used.push(target);
      const clause = this.pick(['SET', 'SET', 'SET', 'REMOVE', 'ADD', 'DELETE']);
      const attribute = target.replace(/[.[].*$/, '');
      const named = builder.names[attribute] ?? attribute;
      if (clause === 'SET') add('SET', `${target} = ${this.setValue(builder, named)}`);
      else if (clause === 'REMOVE') add('REMOVE', target);
      else if (clause === 'ADD') {
        const value = this.chance(0.8)
          ? this.pick([
              { N: this.pick(NUMBERS) },
              { SS: this.subset(['x', 'y', 'q']) },
              { NS: this.subset(['1', '2', '9']) },
            ])
          : this.value();
        add('ADD', `${target} ${builder.value(value)}`);
      } else {
        const value = this.chance(0.8)
          ? this.pick([{ SS: this.subset(['x', 'y', 'q']) }, { NS: this.subset(['1', '2', '9']) }])
          : this.value();
        add('DELETE', `${target} ${builder.value(value)}`);
      }
    }
    let text = Object.entries(clauses)
      .map(([clause, actions]) => `${this.chance(0.1) ? clause.toLowerCase() : clause} ${actions.join(', ')}`)
      .join(' ');
    if (this.chance(0.03))
      text = this.pick([`${text} SET`, `SET ${text}`, text.replace('=', ''), `${text},`]);
    return text;
  }

  private projection(builder: Builder): string {
    const paths = Array.from({ length: this.int(1, 3) }, () => this.path(builder, true));
    if (this.chance(0.05)) paths.push(paths[0]!);
    return paths.join(', ');
  }

  private returnValues(kind: 'Put' | 'Update' | 'Delete'): Body {
    if (!this.chance(0.5)) return {};
    const choices =
      kind === 'Update'
        ? ['NONE', 'ALL_OLD', 'UPDATED_OLD', 'ALL_NEW', 'UPDATED_NEW']
        : ['NONE', 'ALL_OLD', 'ALL_OLD', this.chance(0.2) ? 'ALL_NEW' : 'NONE'];
    return { ReturnValues: this.pick(choices) };
  }

  private conditionMember(body: Body, builder: Builder): void {
    if (this.chance(0.45)) body.ConditionExpression = this.condition(builder);
    if (this.chance(0.15)) body.ReturnValuesOnConditionCheckFailure = 'ALL_OLD';
  }

  private put(): Operation {
    const table = this.table();
    const builder = new Builder(this.random);
    const body: Body = { TableName: table, Item: this.item(table), ...this.returnValues('Put') };
    this.conditionMember(body, builder);
    return { operation: 'PutItem', body: builder.apply(body), kind: 'PutItem' };
  }

  private updateItem(): Operation {
    const table = this.table();
    const builder = new Builder(this.random);
    const body: Body = { TableName: table, Key: this.key(table), ...this.returnValues('Update') };
    if (this.chance(0.95)) body.UpdateExpression = this.update(builder);
    this.conditionMember(body, builder);
    return { operation: 'UpdateItem', body: builder.apply(body), kind: 'UpdateItem' };
  }

  private deleteItem(): Operation {
    const table = this.table();
    const builder = new Builder(this.random);
    const body: Body = { TableName: table, Key: this.key(table), ...this.returnValues('Delete') };
    this.conditionMember(body, builder);
    return { operation: 'DeleteItem', body: builder.apply(body), kind: 'DeleteItem' };
  }

  private getItem(): Operation {
    const table = this.table();
    const builder = new Builder(this.random);
    const body: Body = { TableName: table, Key: this.key(table), ConsistentRead: true };
    if (this.chance(0.5)) body.ProjectionExpression = this.projection(builder);
    return { operation: 'GetItem', body: builder.apply(body), kind: 'GetItem' };
  }

  private readOptions(body: Body, builder: Builder, index: string | undefined): void {
    if (this.chance(0.4)) body.FilterExpression = this.condition(builder);
    if (this.chance(0.3)) body.ProjectionExpression = this.projection(builder);
    if (this.chance(0.2)) {
      body.Select = this.pick(['ALL_ATTRIBUTES', 'ALL_PROJECTED_ATTRIBUTES', 'SPECIFIC_ATTRIBUTES', 'COUNT']);
    }
    if (this.chance(0.02)) body.Limit = this.pick([0, -1]);
    if (index === undefined || index === 'byLocal') body.ConsistentRead = true;
  }

  /** Query: on the base table (pageable by Limit) or an index (compared as an ordered multiset). */
  query(): Operation {
    const table = this.tables.sorted;
    const builder = new Builder(this.random);
    const index = this.pick([undefined, undefined, 'byGroup', 'groupKeys', 'byLocal']);
    const hashName = index === 'byGroup' || index === 'groupKeys' ? 'g' : 'pk';
    const sortName = index === 'byLocal' ? 'l' : index === 'groupKeys' ? undefined : 'sk';
    const hashValue = hashName === 'g' ? { S: this.pick(['g1', 'g2', 'g3']) } : this.hashKey();
    let key = `${builder.name(hashName)} = ${builder.value(hashValue)}`;
    if (sortName && this.chance(0.6)) {
      const sortValue = () =>
        sortName === 'sk' ? { N: String(this.int(0, 6)) } : { S: this.pick(['g1', 'g2', 'g']) };
      const sortPath = builder.name(sortName);
      key += ` AND ${this.pick([
        `${sortPath} ${this.pick(['=', '<', '<=', '>', '>='])} ${builder.value(sortValue())}`,
        `${sortPath} BETWEEN ${builder.value(sortValue())} AND ${builder.value(sortValue())}`,
        `begins_with(${sortPath}, ${builder.value(sortValue())})`,
      ])}`;
    }
    if (this.chance(0.05)) {
      key = this.pick([
        `${builder.name(hashName)} > ${builder.value(hashValue)}`,
        `${key} OR ${builder.name('a')} = ${builder.value({ S: 'x' })}`,
        `${builder.name('a')} = ${builder.value({ S: 'x' })}`,
        `${key} AND ${builder.name('a')} = ${builder.value({ S: 'x' })}`,
        `(${key})`,
      ]);
    }
    const body: Body = { TableName: table, KeyConditionExpression: key };
    if (index) body.IndexName = index;
    this.readOptions(body, builder, index);
    if (this.chance(0.3)) body.ScanIndexForward = false;
    if (index === undefined && this.chance(0.35)) body.Limit = this.int(1, 4);
    return { operation: 'Query', body: builder.apply(body), kind: index ? 'Query:index' : 'Query' };
  }

  scan(): Operation {
    const table = this.table();
    const builder = new Builder(this.random);
    const index =
      this.isSorted(table) && this.chance(0.3) ? this.pick(['byGroup', 'groupKeys', 'byLocal']) : undefined;
    const body: Body = { TableName: table };
    if (index) body.IndexName = index;
    this.readOptions(body, builder, index);
    if (this.chance(0.35)) body.Limit = this.int(1, 6);
    return { operation: 'Scan', body: builder.apply(body), kind: index ? 'Scan:index' : 'Scan' };
  }

  private transactWrite(): Operation {
    const actions: Body[] = [];
    for (let i = this.int(1, 4); i > 0; i--) {
      const table = this.table();
      const builder = new Builder(this.random);
      const kind = this.pick(['Put', 'Update', 'Update', 'Delete', 'ConditionCheck']);
      const action: Body = { TableName: table };
      if (kind === 'Put') action.Item = this.item(table);
      else action.Key = this.key(table);
      if (kind === 'Update' && this.chance(0.97)) action.UpdateExpression = this.update(builder);
      if (kind === 'ConditionCheck' ? this.chance(0.95) : this.chance(0.45)) {
        action.ConditionExpression = this.condition(builder);
      }
      if (this.chance(0.15)) action.ReturnValuesOnConditionCheckFailure = 'ALL_OLD';
      actions.push({ [kind]: builder.apply(action) });
    }
    if (this.chance(0.03)) actions.push({});
    return { operation: 'TransactWriteItems', body: { TransactItems: actions }, kind: 'TransactWriteItems' };
  }

  private transactGet(): Operation {
    const gets: Body[] = [];
    for (let i = this.int(1, 4); i > 0; i--) {
      const table = this.table();
      const builder = new Builder(this.random);
      const get: Body = { TableName: table, Key: this.key(table) };
      if (this.chance(0.4)) get.ProjectionExpression = this.projection(builder);
      gets.push({ Get: builder.apply(get) });
    }
    return { operation: 'TransactGetItems', body: { TransactItems: gets }, kind: 'TransactGetItems' };
  }

  private batchWrite(): Operation {
    const requests: Record<string, Body[]> = {};
    for (let i = this.int(1, 5); i > 0; i--) {
      const table = this.table();
      requests[table] ??= [];
      requests[table].push(
        this.chance(0.7)
          ? { PutRequest: { Item: this.item(table) } }
          : { DeleteRequest: { Key: this.key(table) } },
      );
    }
    return { operation: 'BatchWriteItem', body: { RequestItems: requests }, kind: 'BatchWriteItem' };
  }

  private batchGet(): Operation {
    const requests: Record<string, Body> = {};
    for (let i = this.int(1, 5); i > 0; i--) {
      const table = this.table();
      requests[table] ??= { Keys: [], ConsistentRead: true };
      (requests[table].Keys as Body[]).push(this.key(table));
    }
    for (const request of Object.values(requests)) {
      if (this.chance(0.3)) {
        const builder = new Builder(this.random);
        request.ProjectionExpression = this.projection(builder);
        builder.apply(request);
      }
    }
    return { operation: 'BatchGetItem', body: { RequestItems: requests }, kind: 'BatchGetItem' };
  }

  next(): Operation {
    const roll = this.random();
    if (roll < 0.2) return this.put();
    if (roll < 0.42) return this.updateItem();
    if (roll < 0.5) return this.deleteItem();
    if (roll < 0.58) return this.getItem();
    if (roll < 0.7) return this.query();
    if (roll < 0.78) return this.scan();
    if (roll < 0.88) return this.transactWrite();
    if (roll < 0.92) return this.transactGet();
    if (roll < 0.97) return this.batchWrite();
    return this.batchGet();
  }
}
