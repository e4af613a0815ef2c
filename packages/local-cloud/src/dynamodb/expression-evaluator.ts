/**
 * Evaluates parsed expressions against items: conditions and filters, update actions (applied to
 * a copy, never in place), projections and key conditions.
 */
import {
  ATTRIBUTE_TYPES,
  type AttributeValue,
  compareBinary,
  compareScalars,
  describeValue,
  emptyItem,
  type Item,
  isOrderable,
  typeOf,
  validationError,
  valuesEqual,
} from './attribute-values.js';
import type {
  ConditionNode,
  ExpressionKind,
  Operand,
  Parsed,
  PathElement,
  PathNode,
  UpdateAction,
} from './expression-parser.js';
import { addNumbers, subtractNumbers } from './numbers.js';

/** The placeholders of one request. */
export interface Placeholders {
  readonly names: Readonly<Record<string, string>> | undefined;
  readonly values: Readonly<Record<string, AttributeValue>> | undefined;
}

/** A path with its placeholders substituted: attribute names and list indexes. */
export type ResolvedPath = readonly PathElement[];

/**
 * Checks, once per request, that every placeholder an expression uses is defined and every
 * defined placeholder is used, with AWS's messages.
 */
export function checkPlaceholders(parsed: readonly Parsed<unknown>[], placeholders: Placeholders): void {
  const names = placeholders.names ?? {};
  const values = placeholders.values ?? {};
  const usedNames = new Set<string>();
  const usedValues = new Set<string>();
  for (const expression of parsed) {
    for (const name of expression.names) {
      if (names[name] === undefined) {
        throw validationError(
          `An expression attribute name used in the document path is not defined; attribute name: ${name}`,
        );
      }
      usedNames.add(name);
    }
    for (const value of expression.values) {
      if (values[value] === undefined) {
        throw validationError(
          `An expression attribute value used in expression is not defined; attribute value: ${value}`,
        );
      }
      usedValues.add(value);
    }
  }
  const unusedNames = Object.keys(names).filter((name) => !usedNames.has(name));
  if (unusedNames.length > 0) {
    throw validationError(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
    );
  }
  const unusedValues = Object.keys(values).filter((value) => !usedValues.has(value));
  if (unusedValues.length > 0) {
    throw validationError(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
    );
  }
}

/** Substitutes `#name` placeholders in a parsed path. */
export function resolvePath(path: PathNode, placeholders: Placeholders): ResolvedPath {
  return path.elements.map((element) =>
    typeof element === 'string' && element.startsWith('#') ? placeholders.names![element]! : element,
  );
}

/** The value at a path, or undefined when any step is missing or of the wrong type. */
export function getAtPath(item: Item, path: ResolvedPath): AttributeValue | undefined {
  let current: AttributeValue | undefined = item[path[0] as string];
  for (let i = 1; i < path.length && current !== undefined; i++) {
    const element = path[i]!;
    if (typeof element === 'number') current = 'L' in current ? current.L[element] : undefined;
    else current = 'M' in current ? current.M[element] : undefined;
  }
  return current;
}

/** Evaluates a condition/filter; a missing attribute makes comparisons false (and `<>` true). */
export function evaluateCondition(
  kind: ExpressionKind,
  node: ConditionNode,
  item: Item,
  placeholders: Placeholders,
): boolean {
  switch (node.kind) {
    case 'and':
      return (
        evaluateCondition(kind, node.left, item, placeholders) &&
        evaluateCondition(kind, node.right, item, placeholders)
      );
    case 'or':
      return (
        evaluateCondition(kind, node.left, item, placeholders) ||
        evaluateCondition(kind, node.right, item, placeholders)
      );
    case 'not':
      return !evaluateCondition(kind, node.operand, item, placeholders);
    case 'compare': {
      const left = operandValue(kind, node.left, item, placeholders);
      const right = operandValue(kind, node.right, item, placeholders);
      if (node.operator === '=') return left !== undefined && right !== undefined && valuesEqual(left, right);
      if (node.operator === '<>')
        return !(left !== undefined && right !== undefined && valuesEqual(left, right));
      requireOrderableLiteral(kind, node.operator, node.left, left);
      requireOrderableLiteral(kind, node.operator, node.right, right);
      const order = orderOf(left, right);
      if (order === undefined) return false;
      switch (node.operator) {
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        default:
          return order >= 0;
      }
    }
    case 'between': {
      const value = operandValue(kind, node.operand, item, placeholders);
      const low = operandValue(kind, node.low, item, placeholders);
      const high = operandValue(kind, node.high, item, placeholders);
      requireOrderableLiteral(kind, 'BETWEEN', node.low, low);
      requireOrderableLiteral(kind, 'BETWEEN', node.high, high);
      const bounds = orderOf(low, high);
      if (bounds !== undefined && bounds > 0) {
        throw validationError(
          `Invalid ${kind}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: ${describeValue(low!)}, upper bound operand: AttributeValue: ${describeValue(high!)}`,
        );
      }
      const above = orderOf(value, low);
      const below = orderOf(value, high);
      return above !== undefined && below !== undefined && above >= 0 && below <= 0;
    }
    case 'in': {
      const value = operandValue(kind, node.operand, item, placeholders);
      if (value === undefined) return false;
      return node.candidates.some((candidate) => {
        const other = operandValue(kind, candidate, item, placeholders);
        return other !== undefined && valuesEqual(value, other);
      });
    }
    case 'function':
      return evaluateFunction(kind, node, item, placeholders);
  }
}

/**
 * A condition function's operand count and first operand, as AWS checks them (validation and
 * evaluation share it); returns the first operand.
 */
export function checkFunctionShape(
  kind: ExpressionKind,
  node: Extract<ConditionNode, { kind: 'function' }>,
): Operand {
  const arity = node.name === 'attribute_exists' || node.name === 'attribute_not_exists' ? 1 : 2;
  if (node.args.length !== arity) {
    throw validationError(
      `Invalid ${kind}: Incorrect number of operands for operator or function; operator or function: ${node.name}, number of operands: ${node.args.length}`,
    );
  }
  const first = node.args[0]!;
  if (first.kind !== 'path' && node.name !== 'contains' && node.name !== 'begins_with') {
    throw validationError(
      `Invalid ${kind}: Operator or function requires a document path; operator or function: ${node.name}`,
    );
  }
  return first;
}

function evaluateFunction(
  kind: ExpressionKind,
  node: Extract<ConditionNode, { kind: 'function' }>,
  item: Item,
  placeholders: Placeholders,
): boolean {
  const first = checkFunctionShape(kind, node);
  const subject = operandValue(kind, first, item, placeholders);
  switch (node.name) {
    case 'attribute_exists':
      return subject !== undefined;
    case 'attribute_not_exists':
      return subject === undefined;
    case 'attribute_type': {
      const type = operandValue(kind, node.args[1]!, item, placeholders);
      if (type === undefined || !('S' in type) || !ATTRIBUTE_TYPES.includes(type.S as never)) {
        throw validationError(
          `Invalid ${kind}: Invalid attribute type name found; type: ${type && 'S' in type ? type.S : type ? typeOf(type) : ''}, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}`,
        );
      }
      return subject !== undefined && typeOf(subject) === type.S;
    }
    case 'begins_with': {
      const prefix = operandValue(kind, node.args[1]!, item, placeholders);
      if (node.args[1]!.kind === 'value' && prefix && !('S' in prefix) && !('B' in prefix)) {
        throw validationError(
          `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: begins_with, operand type: ${typeOf(prefix)}`,
        );
      }
      if (subject === undefined || prefix === undefined) return false;
      if ('S' in subject && 'S' in prefix) return subject.S.startsWith(prefix.S);
      if ('B' in subject && 'B' in prefix) {
        const bytes = Buffer.from(subject.B, 'base64');
        const start = Buffer.from(prefix.B, 'base64');
        return bytes.subarray(0, start.length).equals(start);
      }
      return false;
    }
    case 'contains': {
      const needle = operandValue(kind, node.args[1]!, item, placeholders);
      if (subject === undefined || needle === undefined) return false;
      if ('S' in subject) return 'S' in needle && subject.S.includes(needle.S);
      if ('SS' in subject) return 'S' in needle && subject.SS.includes(needle.S);
      if ('NS' in subject) return 'N' in needle && subject.NS.includes(needle.N);
      if ('BS' in subject) {
        return 'B' in needle && subject.BS.some((member) => compareBinary(member, needle.B) === 0);
      }
      if ('L' in subject) return subject.L.some((member) => valuesEqual(member, needle));
      if ('B' in subject && 'B' in needle) {
        return Buffer.from(subject.B, 'base64').includes(Buffer.from(needle.B, 'base64'));
      }
      return false;
    }
  }
}

function requireOrderableLiteral(
  kind: ExpressionKind,
  operator: string,
  operand: Operand,
  value: AttributeValue | undefined,
): void {
  if (operand.kind === 'value' && value !== undefined && !isOrderable(value)) {
    throw validationError(
      `Invalid ${kind}: Incorrect operand type for operator or function; operator or function: ${operator}, operand type: ${typeOf(value)}`,
    );
  }
}

function orderOf(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (a === undefined || b === undefined || !isOrderable(a) || typeOf(a) !== typeOf(b)) return undefined;
  return compareScalars(a, b);
}

function operandValue(
  kind: ExpressionKind,
  operand: Operand,
  item: Item,
  placeholders: Placeholders,
): AttributeValue | undefined {
  switch (operand.kind) {
    case 'value':
      return placeholders.values![operand.name];
    case 'path':
      return getAtPath(item, resolvePath(operand, placeholders));
    case 'size': {
      const value = getAtPath(item, resolvePath(operand.path, placeholders));
      if (value === undefined) return undefined;
      let size: number | undefined;
      if ('S' in value) size = [...value.S].length;
      else if ('B' in value) size = Buffer.byteLength(value.B, 'base64');
      else if ('SS' in value) size = value.SS.length;
      else if ('NS' in value) size = value.NS.length;
      else if ('BS' in value) size = value.BS.length;
      else if ('L' in value) size = value.L.length;
      else if ('M' in value) size = Object.keys(value.M).length;
      return size === undefined ? undefined : { N: String(size) };
    }
    default:
      throw validationError(
        `Invalid ${kind}: The function is not allowed to be used this way in an expression`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// Updates

function overlapError(kind: string, a: ResolvedPath, b: ResolvedPath): never {
  const show = (path: ResolvedPath) => `[${path.join(', ')}]`;
  throw validationError(
    `Invalid ${kind}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: ${show(a)}, path two: ${show(b)}`,
  );
}

/** Rejects paths where one is a prefix of (or equal to) another, as AWS does. */
export function checkOverlap(kind: string, paths: readonly ResolvedPath[]): void {
  for (let i = 0; i < paths.length; i++) {
    for (let j = i + 1; j < paths.length; j++) {
      const a = paths[i]!;
      const b = paths[j]!;
      const shorter = Math.min(a.length, b.length);
      let same = true;
      for (let k = 0; k < shorter && same; k++) same = a[k] === b[k];
      if (same) overlapError(kind, a, b);
    }
  }
}

const INVALID_PATH = 'The document path provided in the update expression is invalid for update';
const WRONG_TYPE = 'An operand in the update expression has an incorrect data type';

function cloneValue(value: AttributeValue): AttributeValue {
  if ('L' in value) return { L: value.L.map(cloneValue) };
  if ('M' in value) return { M: cloneItem(value.M) };
  if ('SS' in value) return { SS: [...value.SS] };
  if ('NS' in value) return { NS: [...value.NS] };
  if ('BS' in value) return { BS: [...value.BS] };
  return value;
}

/** Copies an item; scalars are shared since stored values are never mutated. */
export function cloneItem(item: Item): Item {
  const copy = emptyItem();
  for (const name in item) copy[name] = cloneValue(item[name]!);
  return copy;
}

function parentOf(item: Item, path: ResolvedPath): AttributeValue | undefined {
  return path.length === 1 ? { M: item } : getAtPath(item, path.slice(0, -1));
}

function setAt(item: Item, path: ResolvedPath, value: AttributeValue): void {
  const parent = parentOf(item, path);
  const last = path[path.length - 1]!;
  if (typeof last === 'number') {
    if (parent === undefined || !('L' in parent)) throw validationError(INVALID_PATH);
    if (last >= parent.L.length) parent.L.push(value);
    else parent.L[last] = value;
  } else {
    if (parent === undefined || !('M' in parent)) throw validationError(INVALID_PATH);
    parent.M[last] = value;
  }
}

function removeAt(item: Item, path: ResolvedPath): void {
  const parent = parentOf(item, path);
  const last = path[path.length - 1]!;
  if (parent === undefined) throw validationError(INVALID_PATH);
  if (typeof last === 'number') {
    if (!('L' in parent)) throw validationError(INVALID_PATH);
    if (last < parent.L.length) parent.L.splice(last, 1);
  } else {
    if (!('M' in parent)) throw validationError(INVALID_PATH);
    delete parent.M[last];
  }
}

function updateValue(operand: Operand, item: Item, placeholders: Placeholders): AttributeValue {
  switch (operand.kind) {
    case 'value':
      return placeholders.values![operand.name]!;
    case 'path': {
      const value = getAtPath(item, resolvePath(operand, placeholders));
      if (value === undefined) {
        throw validationError(
          'The provided expression refers to an attribute that does not exist in the item',
        );
      }
      return value;
    }
    case 'if_not_exists':
      return (
        getAtPath(item, resolvePath(operand.path, placeholders)) ??
        updateValue(operand.fallback, item, placeholders)
      );
    case 'list_append': {
      const first = updateValue(operand.first, item, placeholders);
      const second = updateValue(operand.second, item, placeholders);
      if (!('L' in first) || !('L' in second)) throw validationError(WRONG_TYPE);
      return { L: [...first.L, ...second.L] };
    }
    case 'arithmetic': {
      const left = updateValue(operand.left, item, placeholders);
      const right = updateValue(operand.right, item, placeholders);
      if (!('N' in left) || !('N' in right)) throw validationError(WRONG_TYPE);
      return { N: operand.operator === '+' ? addNumbers(left.N, right.N) : subtractNumbers(left.N, right.N) };
    }
    case 'size':
      throw validationError('Invalid UpdateExpression: Invalid function name; function: size');
  }
}

const SET_TYPES = ['SS', 'NS', 'BS'] as const;

function setMembers(value: AttributeValue): [(typeof SET_TYPES)[number], string[]] | undefined {
  for (const type of SET_TYPES) if (type in value) return [type, (value as Record<string, string[]>)[type]!];
  return undefined;
}

/** The outcome of an update: the new item and the paths it touched (for UPDATED_OLD/NEW). */
export interface UpdateResult {
  readonly item: Item;
  readonly paths: readonly ResolvedPath[];
}

/**
 * Applies an update expression to a copy of `item`. All right-hand sides are evaluated against the
 * item as it was before the update, as DynamoDB does.
 */
export function applyUpdate(
  actions: readonly UpdateAction[],
  item: Item,
  placeholders: Placeholders,
  keyNames: readonly string[],
): UpdateResult {
  const paths = actions.map((action) => resolvePath(action.path, placeholders));
  checkOverlap('UpdateExpression', paths);
  for (const path of paths) {
    if (keyNames.includes(path[0] as string)) {
      throw validationError(
        `One or more parameter values were invalid: Cannot update attribute ${path[0]}. This attribute is part of the key`,
      );
    }
  }
  const computed = actions.map((action) =>
    action.value ? updateValue(action.value, item, placeholders) : undefined,
  );
  const result = cloneItem(item);
  const removals: ResolvedPath[] = [];
  actions.forEach((action, i) => {
    const path = paths[i]!;
    const value = computed[i];
    switch (action.clause) {
      case 'SET':
        setAt(result, path, cloneValue(value!));
        break;
      case 'REMOVE':
        removals.push(path);
        break;
      case 'ADD': {
        const existing = getAtPath(result, path);
        if (!('N' in value!) && !setMembers(value!)) {
          throw validationError(
            `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: ${typeOf(value!)}`,
          );
        }
        if (existing === undefined) {
          setAt(result, path, cloneValue(value!));
        } else if ('N' in existing && 'N' in value!) {
          setAt(result, path, { N: addNumbers(existing.N, value.N) });
        } else {
          const have = setMembers(existing);
          const add = setMembers(value!);
          if (!have || !add || have[0] !== add[0]) throw validationError(WRONG_TYPE);
          const union = [...have[1]];
          for (const member of add[1]) if (!union.includes(member)) union.push(member);
          setAt(result, path, { [have[0]]: union } as AttributeValue);
        }
        break;
      }
      case 'DELETE': {
        const remove = setMembers(value!);
        if (!remove) {
          throw validationError(
            `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: ${typeOf(value!)}`,
          );
        }
        const existing = getAtPath(result, path);
        if (existing === undefined) {
          // Deleting from a missing set is a no-op, but only where the set could be: inside a
          // missing map, or by index into a map, the path is invalid (DynamoDB Local 1.25.1).
          const parent = parentOf(result, path);
          const last = path[path.length - 1];
          if (parent === undefined || !((typeof last === 'number' ? 'L' : 'M') in parent)) {
            throw validationError(INVALID_PATH);
          }
          break;
        }
        const have = setMembers(existing);
        if (!have || have[0] !== remove[0]) throw validationError(WRONG_TYPE);
        const left = have[1].filter((member) => !remove[1].includes(member));
        if (left.length === 0) removeAt(result, path);
        else setAt(result, path, { [have[0]]: left } as AttributeValue);
        break;
      }
    }
  });
  // List removals refer to the original positions: remove higher indexes first.
  removals.sort((a, b) => {
    const x = a[a.length - 1];
    const y = b[b.length - 1];
    return typeof x === 'number' && typeof y === 'number' ? y - x : 0;
  });
  for (const path of removals) removeAt(result, path);
  return { item: result, paths };
}

// ---------------------------------------------------------------------------------------------
// Projections

type Sparse = { M: Record<string, Sparse | AttributeValue> } | { L: (Sparse | AttributeValue)[] };

/** Keeps only the given paths; list elements picked by index are compacted, as AWS returns them. */
export function project(item: Item, paths: readonly ResolvedPath[]): Item {
  const root: Record<string, AttributeValue> = emptyItem();
  for (const path of paths) {
    const value = getAtPath(item, path);
    if (value === undefined) continue;
    let container: Sparse = { M: root as Record<string, Sparse | AttributeValue> };
    for (let i = 0; i < path.length; i++) {
      const element = path[i]!;
      const last = i === path.length - 1;
      const nextIsIndex = typeof path[i + 1] === 'number';
      const slot = ('M' in container ? container.M : container.L) as Record<
        string | number,
        Sparse | AttributeValue
      >;
      if (last) {
        slot[element] = value;
      } else {
        let child = slot[element] as Sparse | undefined;
        if (child === undefined) {
          child = nextIsIndex ? { L: [] } : { M: emptyItem() };
          slot[element] = child;
        }
        container = child;
      }
    }
  }
  return compactItem(root);
}

function compactItem(item: Record<string, AttributeValue>): Item {
  const result = emptyItem();
  for (const name in item) result[name] = compactValue(item[name]!);
  return result;
}

function compactValue(value: AttributeValue): AttributeValue {
  if ('L' in value) return { L: value.L.filter(() => true).map(compactValue) };
  if ('M' in value) return { M: compactItem(value.M) };
  return value;
}
