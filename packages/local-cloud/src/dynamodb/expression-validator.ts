/**
 * Checks a parsed expression against its placeholders and the table's keys before anything is
 * evaluated, as AWS does: a request that AWS rejects is rejected whatever the item holds, instead
 * of becoming a ConditionalCheckFailed or a silent write depending on the data. Where the AWS
 * documentation names a rule but not its answer, DynamoDB Local 1.25.1's answer is taken.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html
 */
import {
  ATTRIBUTE_TYPES,
  type AttributeValue,
  compareScalars,
  isOrderable,
  typeOf,
  validationError,
} from './attribute-values.js';
import {
  checkFunctionShape,
  type Placeholders,
  type ResolvedPath,
  resolvePath,
} from './expression-evaluator.js';
import type { ConditionNode, ExpressionKind, Operand, PathNode, UpdateAction } from './expression-parser.js';
import { keyNamesOf, type TableDefinition } from './table-store.js';

/** The attributes no document path may step into: the table's keys and its indexes' keys. */
export interface KeyAttributes {
  readonly table: ReadonlySet<string>;
  readonly index: ReadonlySet<string>;
}

const keyCache = new WeakMap<TableDefinition, KeyAttributes>();

export function keyAttributesOf(definition: TableDefinition): KeyAttributes {
  let keys = keyCache.get(definition);
  if (!keys) {
    const table = new Set(keyNamesOf(definition.key));
    const index = new Set<string>();
    for (const entry of definition.indexes) {
      for (const name of keyNamesOf(entry.key)) if (!table.has(name)) index.add(name);
    }
    keys = { table, index };
    keyCache.set(definition, keys);
  }
  return keys;
}

/** A path as AWS error messages show it: `[a, b, [0]]`. */
export function showPath(path: ResolvedPath): string {
  return `[${path.map((element) => (typeof element === 'number' ? `[${element}]` : element)).join(', ')}]`;
}

/**
 * Key attributes are scalars: `pk.x` or `pk[0]` is rejected wherever a path appears.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.CoreComponents.html#HowItWorks.CoreComponents.PrimaryKey
 */
function checkKeyPath(path: ResolvedPath, keys: KeyAttributes | undefined): void {
  if (!keys || path.length < 2) return;
  const name = path[0] as string;
  const label = keys.table.has(name) ? 'Key' : keys.index.has(name) ? 'IndexKey' : undefined;
  if (label) {
    throw validationError(
      `Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: ${label}: ${name}`,
    );
  }
}

/**
 * Rejects two paths of one update or projection where one contains the other (overlap) or where
 * one indexes a list and the other names a map member at the same place (conflict).
 */
export function checkPaths(kind: ExpressionKind, paths: readonly ResolvedPath[]): void {
  for (let i = 0; i < paths.length; i++) {
    for (let j = i + 1; j < paths.length; j++) {
      const a = paths[i]!;
      const b = paths[j]!;
      const shorter = Math.min(a.length, b.length);
      let k = 0;
      while (k < shorter && a[k] === b[k]) k++;
      let problem: 'overlap' | 'conflict' | undefined;
      if (k === shorter) problem = 'overlap';
      else if (typeof a[k] !== typeof b[k]) problem = 'conflict';
      if (problem) {
        throw validationError(
          `Invalid ${kind}: Two document paths ${problem} with each other; must remove or rewrite one of these paths; path one: ${showPath(a)}, path two: ${showPath(b)}`,
        );
      }
    }
  }
}

/** AWS's short type name in "Incorrect operand type" messages (`S`, `N`, `BOOL`, ...). */
function operandTypeError(kind: ExpressionKind, operator: string, value: AttributeValue): never {
  throw validationError(
    `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: ${operator}, operand type: ${typeOf(value)}`,
  );
}

function literal(operand: Operand, placeholders: Placeholders): AttributeValue | undefined {
  return operand.kind === 'value' ? placeholders.values![operand.name] : undefined;
}

function show(value: AttributeValue): string {
  const type = typeOf(value);
  const inner = (value as Record<string, unknown>)[type];
  return `{${type}:${Array.isArray(inner) ? `[${inner.join(', ')}]` : String(inner)}}`;
}

function samePath(a: Operand, b: Operand, placeholders: Placeholders): boolean {
  if (a.kind !== 'path' || b.kind !== 'path') return false;
  const x = resolvePath(a, placeholders);
  const y = resolvePath(b, placeholders);
  return x.length === y.length && x.every((element, i) => element === y[i]);
}

/** `a = a`, `a BETWEEN a AND :v`, `begins_with(a, a)`: the first operand must differ from the others. */
function checkDistinct(
  kind: ExpressionKind,
  operator: string,
  first: Operand,
  others: readonly Operand[],
  placeholders: Placeholders,
): void {
  if (others.some((other) => samePath(first, other, placeholders))) {
    throw validationError(
      `Invalid ${kind}: The first operand must be distinct from the remaining operands for this operator or function; operator: ${operator}, first operand: ${showPath(resolvePath(first as PathNode, placeholders))}`,
    );
  }
}

function checkOperand(operand: Operand, placeholders: Placeholders, keys: KeyAttributes | undefined): void {
  if (operand.kind === 'path') checkKeyPath(resolvePath(operand, placeholders), keys);
  else if (operand.kind === 'size') checkKeyPath(resolvePath(operand.path, placeholders), keys);
}

/** The paths a condition reads, for the index projection and key checks of Query and Scan. */
export function conditionPaths(node: ConditionNode, placeholders: Placeholders): ResolvedPath[] {
  const paths: ResolvedPath[] = [];
  const operand = (value: Operand): void => {
    if (value.kind === 'path') paths.push(resolvePath(value, placeholders));
    else if (value.kind === 'size') paths.push(resolvePath(value.path, placeholders));
  };
  const walk = (current: ConditionNode): void => {
    switch (current.kind) {
      case 'and':
      case 'or':
        walk(current.left);
        walk(current.right);
        break;
      case 'not':
        walk(current.operand);
        break;
      case 'compare':
        operand(current.left);
        operand(current.right);
        break;
      case 'between':
        operand(current.operand);
        operand(current.low);
        operand(current.high);
        break;
      case 'in':
        operand(current.operand);
        for (const candidate of current.candidates) operand(candidate);
        break;
      case 'function':
        for (const argument of current.args) operand(argument);
        break;
    }
  };
  walk(node);
  return paths;
}

/** Validates a condition, filter or (after the key condition checks) key condition expression. */
export function validateCondition(
  kind: ExpressionKind,
  node: ConditionNode,
  placeholders: Placeholders,
  /** Undefined where no key paths are checked (a ConditionCheck, as DynamoDB Local 1.25.1 answers). */
  keys: KeyAttributes | undefined,
): void {
  switch (node.kind) {
    case 'and':
    case 'or':
      validateCondition(kind, node.left, placeholders, keys);
      validateCondition(kind, node.right, placeholders, keys);
      return;
    case 'not':
      validateCondition(kind, node.operand, placeholders, keys);
      return;
    case 'compare': {
      checkOperand(node.left, placeholders, keys);
      checkOperand(node.right, placeholders, keys);
      checkDistinct(kind, node.operator, node.left, [node.right], placeholders);
      if (node.operator !== '=' && node.operator !== '<>') {
        for (const side of [node.left, node.right]) {
          const value = literal(side, placeholders);
          if (value && !isOrderable(value)) operandTypeError(kind, node.operator, value);
        }
      }
      return;
    }
    case 'between': {
      for (const operand of [node.operand, node.low, node.high]) checkOperand(operand, placeholders, keys);
      checkDistinct(kind, 'BETWEEN', node.operand, [node.low, node.high], placeholders);
      const subject = literal(node.operand, placeholders);
      if (subject && !isOrderable(subject)) operandTypeError(kind, 'BETWEEN', subject);
      const low = literal(node.low, placeholders);
      const high = literal(node.high, placeholders);
      for (const value of [low, high])
        if (value && !isOrderable(value)) operandTypeError(kind, 'BETWEEN', value);
      if (low && high) {
        if (typeOf(low) !== typeOf(high)) {
          throw validationError(
            `Invalid ${kind}: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: ${show(low)}, upper bound operand: AttributeValue: ${show(high)}`,
          );
        }
        if (compareScalars(low, high) > 0) {
          throw validationError(
            `Invalid ${kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${show(low)}, upper bound operand: AttributeValue: ${show(high)}`,
          );
        }
      }
      return;
    }
    case 'in':
      checkOperand(node.operand, placeholders, keys);
      for (const candidate of node.candidates) checkOperand(candidate, placeholders, keys);
      checkDistinct(kind, 'IN', node.operand, node.candidates, placeholders);
      return;
    case 'function': {
      const first = checkFunctionShape(kind, node);
      for (const argument of node.args) checkOperand(argument, placeholders, keys);
      if (node.args.length === 2) checkDistinct(kind, node.name, first, [node.args[1]!], placeholders);
      if (node.name === 'begins_with') {
        for (const argument of node.args) {
          const value = literal(argument, placeholders);
          if (value && !('S' in value) && !('B' in value)) operandTypeError(kind, 'begins_with', value);
        }
      }
      if (node.name === 'attribute_type') {
        const type = literal(node.args[1]!, placeholders);
        if (type && !('S' in type)) operandTypeError(kind, 'attribute_type', type);
        if (type && 'S' in type && !ATTRIBUTE_TYPES.includes(type.S as never)) {
          throw validationError(
            `Invalid ${kind}: Invalid attribute type name found; type: ${type.S}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
          );
        }
      }
      return;
    }
  }
}

/** AWS's long type names in ADD/DELETE operand errors. */
const LONG_TYPE_NAMES: Record<string, string> = {
  S: 'STRING',
  N: 'NUMBER',
  B: 'BINARY',
  BOOL: 'BOOLEAN',
  NULL: 'NULL',
  L: 'LIST',
  M: 'MAP',
  SS: 'STRING_SET',
  NS: 'NUMBER_SET',
  BS: 'BINARY_SET',
};

function checkSetValue(operand: Operand, placeholders: Placeholders, keys: KeyAttributes | undefined): void {
  switch (operand.kind) {
    case 'value':
      return;
    case 'path':
      checkKeyPath(resolvePath(operand, placeholders), keys);
      return;
    case 'size':
      throw validationError(
        'Invalid UpdateExpression: The function is not allowed in an update expression; function: size',
      );
    case 'if_not_exists':
      checkKeyPath(resolvePath(operand.path, placeholders), keys);
      checkSetValue(operand.fallback, placeholders, keys);
      return;
    case 'list_append':
      for (const part of [operand.first, operand.second]) {
        checkSetValue(part, placeholders, keys);
        const value = literal(part, placeholders);
        if (value && !('L' in value)) operandTypeError('UpdateExpression', 'list_append', value);
      }
      return;
    case 'arithmetic':
      for (const part of [operand.left, operand.right]) {
        checkSetValue(part, placeholders, keys);
        const value = literal(part, placeholders);
        if (value && !('N' in value)) operandTypeError('UpdateExpression', operand.operator, value);
      }
      return;
  }
}

/**
 * Validates an update expression: overlapping or conflicting paths, and the operand types of ADD,
 * DELETE, arithmetic and list_append that can be known without the item. Its paths are checked
 * against the keys when the update is applied, after the condition (see `checkUpdateTargets`), as
 * DynamoDB Local 1.25.1 answers.
 */
export function validateUpdate(actions: readonly UpdateAction[], placeholders: Placeholders): void {
  const paths = actions.map((action) => resolvePath(action.path, placeholders));
  checkPaths('UpdateExpression', paths);
  for (const action of actions) {
    if (!action.value) continue;
    if (action.clause === 'SET') {
      checkSetValue(action.value, placeholders, undefined);
      continue;
    }
    const value = literal(action.value, placeholders)!;
    const allowed = action.clause === 'ADD' ? 'N' in value || isSet(value) : isSet(value);
    if (!allowed) {
      throw validationError(
        `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ${action.clause}, operand type: ${LONG_TYPE_NAMES[typeOf(value)]}, typeSet: ALLOWED_FOR_${action.clause}_OPERAND`,
      );
    }
  }
}

/**
 * An update's paths against the keys, checked once the condition has held: a table key cannot be
 * updated at all (`onKeyUpdate` builds that error), an index key only as a whole, and no operand
 * reads into a key.
 */
export function checkUpdateTargets(
  actions: readonly UpdateAction[],
  placeholders: Placeholders,
  keys: KeyAttributes,
  onKeyUpdate: (name: string) => Error,
): void {
  const paths = actions.map((action) => resolvePath(action.path, placeholders));
  for (const path of paths) if (keys.table.has(path[0] as string)) throw onKeyUpdate(path[0] as string);
  for (const path of paths) checkKeyPath(path, keys);
  for (const action of actions) if (action.value) checkSetValue(action.value, placeholders, keys);
}

function isSet(value: AttributeValue): boolean {
  return 'SS' in value || 'NS' in value || 'BS' in value;
}

/** Validates a projection's paths: no key paths, no overlapping or conflicting paths. */
export function validateProjection(paths: readonly ResolvedPath[], keys: KeyAttributes): void {
  for (const path of paths) checkKeyPath(path, keys);
  checkPaths('ProjectionExpression', paths);
}
