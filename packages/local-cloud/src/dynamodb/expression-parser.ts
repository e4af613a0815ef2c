/**
 * Tokenizer and recursive-descent parser for DynamoDB's expression languages (condition, filter,
 * key condition, update, projection). Parsed trees keep placeholders (`#n`, `:v`) unresolved so
 * that one tree, cached by expression text, serves every request that uses that text.
 */
import { ByteBoundedCache } from '../bounded-cache.js';
import { AwsError } from '../protocol.js';

export type ExpressionKind =
  | 'ConditionExpression'
  | 'FilterExpression'
  | 'KeyConditionExpression'
  | 'UpdateExpression'
  | 'ProjectionExpression';

/** An attribute name token (`status` or the placeholder `#s`) or a list index. */
export type PathElement = string | number;

export interface PathNode {
  readonly kind: 'path';
  readonly elements: readonly PathElement[];
}
export interface ValueNode {
  readonly kind: 'value';
  readonly name: string;
}
export interface SizeNode {
  readonly kind: 'size';
  readonly path: PathNode;
}
export interface IfNotExistsNode {
  readonly kind: 'if_not_exists';
  readonly path: PathNode;
  readonly fallback: Operand;
}
export interface ListAppendNode {
  readonly kind: 'list_append';
  readonly first: Operand;
  readonly second: Operand;
}
export interface ArithmeticNode {
  readonly kind: 'arithmetic';
  readonly operator: '+' | '-';
  readonly left: Operand;
  readonly right: Operand;
}
export type Operand = PathNode | ValueNode | SizeNode | IfNotExistsNode | ListAppendNode | ArithmeticNode;

export type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type ConditionNode =
  | {
      readonly kind: 'compare';
      readonly operator: Comparator;
      readonly left: Operand;
      readonly right: Operand;
    }
  | { readonly kind: 'between'; readonly operand: Operand; readonly low: Operand; readonly high: Operand }
  | { readonly kind: 'in'; readonly operand: Operand; readonly candidates: readonly Operand[] }
  | { readonly kind: 'and' | 'or'; readonly left: ConditionNode; readonly right: ConditionNode }
  | { readonly kind: 'not'; readonly operand: ConditionNode }
  | { readonly kind: 'function'; readonly name: ConditionFunction; readonly args: readonly Operand[] };

export type ConditionFunction =
  | 'attribute_exists'
  | 'attribute_not_exists'
  | 'attribute_type'
  | 'begins_with'
  | 'contains';

export interface UpdateAction {
  readonly clause: 'SET' | 'REMOVE' | 'ADD' | 'DELETE';
  readonly path: PathNode;
  /** SET: the new value; ADD/DELETE: the value placeholder; REMOVE: absent. */
  readonly value?: Operand;
}

/** A parsed expression plus the placeholders it uses (for the unused/undefined checks). */
export interface Parsed<T> {
  readonly tree: T;
  readonly names: ReadonlySet<string>;
  readonly values: ReadonlySet<string>;
}

const CONDITION_FUNCTIONS = new Set<string>([
  'attribute_exists',
  'attribute_not_exists',
  'attribute_type',
  'begins_with',
  'contains',
]);
const COMPARATORS = new Set<string>(['=', '<>', '<', '<=', '>', '>=']);
const CLAUSES = new Set(['SET', 'REMOVE', 'ADD', 'DELETE']);

/**
 * DynamoDB's 573 reserved words: none may appear bare as an attribute name in an expression.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ReservedWords.html
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set(
  `
  ABORT ABSOLUTE ACTION ADD AFTER AGENT AGGREGATE ALL ALLOCATE ALTER ANALYZE AND ANY ARCHIVE ARE
  ARRAY AS ASC ASCII ASENSITIVE ASSERTION ASYMMETRIC AT ATOMIC ATTACH ATTRIBUTE AUTH AUTHORIZATION
  AUTHORIZE AUTO AVG BACK BACKUP BASE BATCH BEFORE BEGIN BETWEEN BIGINT BINARY BIT BLOB BLOCK
  BOOLEAN BOTH BREADTH BUCKET BULK BY BYTE CALL CALLED CALLING CAPACITY CASCADE CASCADED CASE CAST
  CATALOG CHAR CHARACTER CHECK CLASS CLOB CLOSE CLUSTER CLUSTERED CLUSTERING CLUSTERS COALESCE
  COLLATE COLLATION COLLECTION COLUMN COLUMNS COMBINE COMMENT COMMIT COMPACT COMPILE COMPRESS
  CONDITION CONFLICT CONNECT CONNECTION CONSISTENCY CONSISTENT CONSTRAINT CONSTRAINTS CONSTRUCTOR
  CONSUMED CONTINUE CONVERT COPY CORRESPONDING COUNT COUNTER CREATE CROSS CUBE CURRENT CURSOR CYCLE
  DATA DATABASE DATE DATETIME DAY DEALLOCATE DEC DECIMAL DECLARE DEFAULT DEFERRABLE DEFERRED DEFINE
  DEFINED DEFINITION DELETE DELIMITED DEPTH DEREF DESC DESCRIBE DESCRIPTOR DETACH DETERMINISTIC
  DIAGNOSTICS DIRECTORIES DISABLE DISCONNECT DISTINCT DISTRIBUTE DO DOMAIN DOUBLE DROP DUMP
  DURATION DYNAMIC EACH ELEMENT ELSE ELSEIF EMPTY ENABLE END EQUAL EQUALS ERROR ESCAPE ESCAPED EVAL
  EVALUATE EXCEEDED EXCEPT EXCEPTION EXCEPTIONS EXCLUSIVE EXEC EXECUTE EXISTS EXIT EXPLAIN EXPLODE
  EXPORT EXPRESSION EXTENDED EXTERNAL EXTRACT FAIL FALSE FAMILY FETCH FIELDS FILE FILTER FILTERING
  FINAL FINISH FIRST FIXED FLATTERN FLOAT FOR FORCE FOREIGN FORMAT FORWARD FOUND FREE FROM FULL
  FUNCTION FUNCTIONS GENERAL GENERATE GET GLOB GLOBAL GO GOTO GRANT GREATER GROUP GROUPING HANDLER
  HASH HAVE HAVING HEAP HIDDEN HOLD HOUR IDENTIFIED IDENTITY IF IGNORE IMMEDIATE IMPORT IN
  INCLUDING INCLUSIVE INCREMENT INCREMENTAL INDEX INDEXED INDEXES INDICATOR INFINITE INITIALLY
  INLINE INNER INNTER INOUT INPUT INSENSITIVE INSERT INSTEAD INT INTEGER INTERSECT INTERVAL INTO
  INVALIDATE IS ISOLATION ITEM ITEMS ITERATE JOIN KEY KEYS LAG LANGUAGE LARGE LAST LATERAL LEAD
  LEADING LEAVE LEFT LENGTH LESS LEVEL LIKE LIMIT LIMITED LINES LIST LOAD LOCAL LOCALTIME
  LOCALTIMESTAMP LOCATION LOCATOR LOCK LOCKS LOG LOGED LONG LOOP LOWER MAP MATCH MATERIALIZED MAX
  MAXLEN MEMBER MERGE METHOD METRICS MIN MINUS MINUTE MISSING MOD MODE MODIFIES MODIFY MODULE MONTH
  MULTI MULTISET NAME NAMES NATIONAL NATURAL NCHAR NCLOB NEW NEXT NO NONE NOT NULL NULLIF NUMBER
  NUMERIC OBJECT OF OFFLINE OFFSET OLD ON ONLINE ONLY OPAQUE OPEN OPERATOR OPTION OR ORDER
  ORDINALITY OTHER OTHERS OUT OUTER OUTPUT OVER OVERLAPS OVERRIDE OWNER PAD PARALLEL PARAMETER
  PARAMETERS PARTIAL PARTITION PARTITIONED PARTITIONS PATH PERCENT PERCENTILE PERMISSION
  PERMISSIONS PIPE PIPELINED PLAN POOL POSITION PRECISION PREPARE PRESERVE PRIMARY PRIOR PRIVATE
  PRIVILEGES PROCEDURE PROCESSED PROJECT PROJECTION PROPERTY PROVISIONING PUBLIC PUT QUERY QUIT
  QUORUM RAISE RANDOM RANGE RANK RAW READ READS REAL REBUILD RECORD RECURSIVE REDUCE REF REFERENCE
  REFERENCES REFERENCING REGEXP REGION REINDEX RELATIVE RELEASE REMAINDER RENAME REPEAT REPLACE
  REQUEST RESET RESIGNAL RESOURCE RESPONSE RESTORE RESTRICT RESULT RETURN RETURNING RETURNS REVERSE
  REVOKE RIGHT ROLE ROLES ROLLBACK ROLLUP ROUTINE ROW ROWS RULE RULES SAMPLE SATISFIES SAVE
  SAVEPOINT SCAN SCHEMA SCOPE SCROLL SEARCH SECOND SECTION SEGMENT SEGMENTS SELECT SELF SEMI
  SENSITIVE SEPARATE SEQUENCE SERIALIZABLE SESSION SET SETS SHARD SHARE SHARED SHORT SHOW SIGNAL
  SIMILAR SIZE SKEWED SMALLINT SNAPSHOT SOME SOURCE SPACE SPACES SPARSE SPECIFIC SPECIFICTYPE SPLIT
  SQL SQLCODE SQLERROR SQLEXCEPTION SQLSTATE SQLWARNING START STATE STATIC STATUS STORAGE STORE
  STORED STREAM STRING STRUCT STYLE SUB SUBMULTISET SUBPARTITION SUBSTRING SUBTYPE SUM SUPER
  SYMMETRIC SYNONYM SYSTEM TABLE TABLESAMPLE TEMP TEMPORARY TERMINATED TEXT THAN THEN THROUGHPUT
  TIME TIMESTAMP TIMEZONE TINYINT TO TOKEN TOTAL TOUCH TRAILING TRANSACTION TRANSFORM TRANSLATE
  TRANSLATION TREAT TRIGGER TRIM TRUE TRUNCATE TTL TUPLE TYPE UNDER UNDO UNION UNIQUE UNIT UNKNOWN
  UNLOGGED UNNEST UNPROCESSED UNSIGNED UNTIL UPDATE UPPER URL USAGE USE USER USERS USING UUID
  VACUUM VALUE VALUED VALUES VARCHAR VARIABLE VARIANCE VARINT VARYING VIEW VIEWS VIRTUAL VOID WAIT
  WHEN WHENEVER WHERE WHILE WINDOW WITH WITHIN WITHOUT WORK WRAPPED WRITE YEAR ZONE
`
    .trim()
    .split(/\s+/),
);

/**
 * Limits from https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-expression-parameters
 * ("The maximum length of any expression string is 4 KB"; "The maximum number of operators or
 * functions allowed in an UpdateExpression is 300", applied here to every expression) and
 * #limits-attributes (32 nesting levels, so no document path goes deeper). AWS states no limit on
 * parentheses; 100 levels is far more than any real expression uses and keeps the recursive-descent
 * parser well inside the stack.
 */
export const MAX_EXPRESSION_BYTES = 4096;
const MAX_OPERATORS = 300;
const MAX_PATH_LEVELS = 32;
const MAX_PARENTHESES = 100;

type TokenType = 'ident' | 'name' | 'value' | 'number' | 'punct' | 'end';

interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly position: number;
}

function tokenize(kind: ExpressionKind, source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let parentheses = 0;
  const word = /[A-Za-z0-9_]/;
  while (i < source.length) {
    const char = source[i]!;
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    const start = i;
    if (char === '#' || char === ':') {
      i++;
      while (i < source.length && word.test(source[i]!)) i++;
      if (i === start + 1) throw syntaxError(kind, source, char, start);
      tokens.push({ type: char === '#' ? 'name' : 'value', text: source.slice(start, i), position: start });
    } else if (/[A-Za-z_]/.test(char)) {
      while (i < source.length && word.test(source[i]!)) i++;
      tokens.push({ type: 'ident', text: source.slice(start, i), position: start });
    } else if (/[0-9]/.test(char)) {
      while (i < source.length && /[0-9]/.test(source[i]!)) i++;
      tokens.push({ type: 'number', text: source.slice(start, i), position: start });
    } else {
      const two = source.slice(i, i + 2);
      const text = two === '<>' || two === '<=' || two === '>=' ? two : char;
      if (!'()[],.=<>+-'.includes(text[0]!)) throw syntaxError(kind, source, char, start);
      if (text === '(' && ++parentheses > MAX_PARENTHESES) {
        throw new AwsError(
          'ValidationException',
          `Invalid ${kind}: The expression has too many nested parentheses; nesting levels: ${parentheses}`,
        );
      }
      if (text === ')') parentheses--;
      i += text.length;
      tokens.push({ type: 'punct', text, position: start });
    }
  }
  tokens.push({ type: 'end', text: '<EOF>', position: source.length });
  return tokens;
}

function syntaxError(kind: ExpressionKind, source: string, token: string, position: number): AwsError {
  const near = source.slice(Math.max(0, position - 10), position + token.length + 10).trim();
  return new AwsError(
    'ValidationException',
    `Invalid ${kind}: Syntax error; token: "${token}", near: "${near}"`,
  );
}

class Parser {
  private index = 0;
  private operators = 0;
  readonly names = new Set<string>();
  readonly values = new Set<string>();
  /** Conditions written inside their own parentheses. */
  private readonly parenthesized = new WeakSet<ConditionNode>();
  private readonly tokens: Token[];

  constructor(
    private readonly kind: ExpressionKind,
    private readonly source: string,
  ) {
    if (source.trim() === '') {
      throw new AwsError('ValidationException', `Invalid ${kind}: The expression can not be empty;`);
    }
    this.tokens = tokenize(kind, source);
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  private fail(token = this.peek()): never {
    throw syntaxError(this.kind, this.source, token.text, token.position);
  }

  /** Counts one operator or function against the expression's limit. */
  private operator(): void {
    if (++this.operators > MAX_OPERATORS) {
      throw new AwsError(
        'ValidationException',
        `Invalid ${this.kind}: The expression contains too many operators; operator count: ${this.operators}`,
      );
    }
  }

  private isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === 'ident' && token.text.toUpperCase() === word;
  }

  private isPunct(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.type === 'punct' && token.text === text;
  }

  private expectPunct(text: string): void {
    if (!this.isPunct(text)) this.fail();
    this.next();
  }

  /** Consumes a `,` if one follows. */
  separator(): boolean {
    if (!this.isPunct(',')) return false;
    this.next();
    return true;
  }

  expectEnd(): void {
    if (this.peek().type !== 'end') this.fail();
  }

  // condition := or ; or := and (OR and)* ; and := not (AND not)* ; not := NOT not | primary
  condition(): ConditionNode {
    let left = this.conjunction();
    while (this.isKeyword('OR')) {
      this.next();
      this.operator();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): ConditionNode {
    let left = this.negation();
    while (this.isKeyword('AND')) {
      this.next();
      this.operator();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): ConditionNode {
    if (this.isKeyword('NOT')) {
      this.next();
      this.operator();
      return { kind: 'not', operand: this.negation() };
    }
    return this.primary();
  }

  private primary(): ConditionNode {
    if (this.isPunct('(')) {
      this.next();
      const inner = this.condition();
      this.expectPunct(')');
      // `((a = :v))` and `NOT ((a = :v))`: AWS rejects parentheses around a parenthesized condition.
      if (this.parenthesized.has(inner)) {
        throw new AwsError(
          'ValidationException',
          `Invalid ${this.kind}: The expression has redundant parentheses;`,
        );
      }
      this.parenthesized.add(inner);
      return inner;
    }
    const token = this.peek();
    if (token.type === 'ident' && this.isPunct('(', 1) && CONDITION_FUNCTIONS.has(token.text)) {
      this.next();
      this.operator();
      return { kind: 'function', name: token.text as ConditionFunction, args: this.arguments() };
    }
    const left = this.operand();
    const after = this.peek();
    if (after.type === 'punct' && COMPARATORS.has(after.text)) {
      this.next();
      this.operator();
      return { kind: 'compare', operator: after.text as Comparator, left, right: this.operand() };
    }
    if (this.isKeyword('BETWEEN')) {
      this.next();
      this.operator();
      const low = this.operand();
      if (!this.isKeyword('AND')) this.fail();
      this.next();
      return { kind: 'between', operand: left, low, high: this.operand() };
    }
    if (this.isKeyword('IN')) {
      this.next();
      this.operator();
      this.expectPunct('(');
      const candidates = [this.operand()];
      while (this.isPunct(',')) {
        this.next();
        candidates.push(this.operand());
      }
      this.expectPunct(')');
      if (candidates.length > 100) {
        throw new AwsError(
          'ValidationException',
          `Invalid ${this.kind}: The IN operator is provided with too many operands; number of operands: ${candidates.length}`,
        );
      }
      return { kind: 'in', operand: left, candidates };
    }
    return this.fail(after);
  }

  private arguments(): Operand[] {
    this.expectPunct('(');
    const args = [this.operand()];
    while (this.isPunct(',')) {
      this.next();
      args.push(this.operand());
    }
    this.expectPunct(')');
    return args;
  }

  operand(): Operand {
    const token = this.peek();
    if (token.type === 'value') {
      this.next();
      this.values.add(token.text);
      return { kind: 'value', name: token.text };
    }
    if (token.type === 'ident' && this.isPunct('(', 1)) {
      this.next();
      this.operator();
      const args = this.arguments();
      const arity = (count: number): void => {
        if (args.length !== count) {
          throw new AwsError(
            'ValidationException',
            `Invalid ${this.kind}: Incorrect number of operands for operator or function; operator or function: ${token.text}, number of operands: ${args.length}`,
          );
        }
      };
      const pathArgument = (operand: Operand | undefined): PathNode => {
        if (operand?.kind !== 'path') {
          throw new AwsError(
            'ValidationException',
            `Invalid ${this.kind}: Operator or function requires a document path; operator or function: ${token.text}`,
          );
        }
        return operand;
      };
      if (token.text === 'size') {
        arity(1);
        return { kind: 'size', path: pathArgument(args[0]) };
      }
      if (this.kind === 'UpdateExpression' && token.text === 'if_not_exists') {
        arity(2);
        return { kind: 'if_not_exists', path: pathArgument(args[0]), fallback: args[1]! };
      }
      if (this.kind === 'UpdateExpression' && token.text === 'list_append') {
        arity(2);
        return { kind: 'list_append', first: args[0]!, second: args[1]! };
      }
      throw new AwsError(
        'ValidationException',
        `Invalid ${this.kind}: Invalid function name; function: ${token.text}`,
      );
    }
    return this.path();
  }

  path(): PathNode {
    const elements: PathElement[] = [this.nameElement()];
    for (;;) {
      if (this.isPunct('.')) {
        this.next();
        elements.push(this.nameElement());
      } else if (this.isPunct('[')) {
        this.next();
        const index = this.next();
        if (index.type !== 'number') this.fail(index);
        elements.push(Number(index.text));
        this.expectPunct(']');
      } else {
        return { kind: 'path', elements };
      }
      if (elements.length > MAX_PATH_LEVELS) {
        throw new AwsError(
          'ValidationException',
          `Invalid ${this.kind}: The document path has too many nesting levels; nesting levels: ${elements.length}`,
        );
      }
    }
  }

  private nameElement(): string {
    const token = this.next();
    if (token.type === 'name') {
      this.names.add(token.text);
      return token.text;
    }
    if (token.type !== 'ident') this.fail(token);
    // REMOVE is not a reserved word but a keyword of the update grammar: a name there is a syntax error.
    if (token.text.toUpperCase() === 'REMOVE') this.fail(token);
    if (RESERVED_WORDS.has(token.text.toUpperCase())) {
      throw new AwsError(
        'ValidationException',
        `Invalid ${this.kind}: Attribute name is a reserved keyword; reserved keyword: ${token.text}`,
      );
    }
    return token.text;
  }

  update(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    const seen = new Set<string>();
    while (this.peek().type !== 'end') {
      const keyword = this.next();
      const clause = keyword.text.toUpperCase();
      if (keyword.type !== 'ident' || !CLAUSES.has(clause)) this.fail(keyword);
      if (seen.has(clause)) {
        throw new AwsError(
          'ValidationException',
          `Invalid UpdateExpression: The "${clause}" section can only be used once in an update expression;`,
        );
      }
      seen.add(clause);
      actions.push(this.updateAction(clause as UpdateAction['clause']));
      while (this.separator()) actions.push(this.updateAction(clause as UpdateAction['clause']));
    }
    return actions;
  }

  private updateAction(clause: UpdateAction['clause']): UpdateAction {
    const path = this.path();
    if (clause === 'REMOVE') return { clause, path };
    if (clause === 'SET') {
      this.expectPunct('=');
      let value = this.operand();
      if (this.isPunct('+') || this.isPunct('-')) {
        const operator = this.next().text as '+' | '-';
        this.operator();
        value = { kind: 'arithmetic', operator, left: value, right: this.operand() };
      }
      return { clause, path, value };
    }
    const value = this.operand();
    if (value.kind !== 'value') this.fail();
    return { clause, path, value };
  }
}

/**
 * Parsed expressions by (kind, text), bounded by an estimate of their bytes: the text plus its
 * tree, which grows with the text (at most 4 KB, and 300 operators).
 */
const cache = new ByteBoundedCache<Parsed<unknown> | AwsError>(16 * 1024 * 1024);
const TREE_BYTES_PER_CHARACTER = 24;

/** What the expression cache holds now (for tests and diagnostics). */
export function expressionCacheStats(): {
  readonly entries: number;
  readonly bytes: number;
  readonly maxBytes: number;
} {
  return { entries: cache.size, bytes: cache.bytes, maxBytes: cache.maxBytes };
}

/** Parses once per distinct (kind, text); later calls return the cached tree (or error). */
function cached<T>(kind: ExpressionKind, source: string, parse: (parser: Parser) => T): Parsed<T> {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_EXPRESSION_BYTES) {
    throw new AwsError(
      'ValidationException',
      `Invalid ${kind}: Expression size has exceeded the maximum allowed size; expression size: ${bytes}`,
    );
  }
  const key = kind + '\u0000' + source;
  let entry = cache.get(key);
  if (entry === undefined) {
    try {
      const parser = new Parser(kind, source);
      const tree = parse(parser);
      parser.expectEnd();
      entry = { tree, names: parser.names, values: parser.values };
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      entry = error;
    }
    cache.set(key, entry, source.length * TREE_BYTES_PER_CHARACTER);
  }
  if (entry instanceof AwsError) throw entry;
  return entry as Parsed<T>;
}

/** Parses a condition, filter or key condition expression (cached). */
export function parseCondition(kind: ExpressionKind, source: string): Parsed<ConditionNode> {
  return cached(kind, source, (parser) => parser.condition());
}

/** Parses an update expression into its actions, in order (cached). */
export function parseUpdate(source: string): Parsed<UpdateAction[]> {
  return cached('UpdateExpression', source, (parser) => parser.update());
}

/** Parses a projection expression into its paths (cached). */
export function parseProjection(source: string): Parsed<PathNode[]> {
  return cached('ProjectionExpression', source, (parser) => {
    const paths = [parser.path()];
    while (parser.separator()) paths.push(parser.path());
    return paths;
  });
}
