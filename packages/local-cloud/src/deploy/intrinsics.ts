/**
 * CloudFormation intrinsic functions, conditions and pseudo parameters, evaluated against the
 * resources deployed so far. Only what `cdk synth` emits and a hand-written template commonly uses.
 */

/** Marks a property to drop (`Ref: AWS::NoValue`). */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

export interface ResolvedResource {
  /** What `Ref` returns. */
  readonly physicalId: string;
  /** What `Fn::GetAtt` returns, by attribute name. */
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly type: string;
}

export interface ResolutionScope {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  readonly stackId: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly mappings: Readonly<Record<string, Record<string, Record<string, unknown>>>>;
  readonly conditions: Readonly<Record<string, unknown>>;
  /** Deployed resources by logical id. */
  resource(logicalId: string): ResolvedResource | undefined;
  /** The value another deployed stack exports under `name` (`Fn::ImportValue`), if any. */
  importValue?(name: string): string | undefined;
  /** Reported when a reference cannot be resolved exactly (an unsupported resource's attribute). */
  warn(message: string): void;
}

/** A template error the deployer reports with the logical id it happened in. */
export class TemplateError extends Error {
  /** Always `TemplateError`. */
  override readonly name = 'TemplateError';
}

/** Resolves every intrinsic inside `value`; `NO_VALUE` members are removed from objects and arrays. */
export class IntrinsicResolver {
  private readonly conditionValues = new Map<string, boolean>();

  constructor(private readonly scope: ResolutionScope) {}

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) {
      return value.map((item) => this.resolve(item)).filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [key, argument] = entries[0]!;
      if (key === 'Ref' || key.startsWith('Fn::') || key === 'Condition') {
        if (key === 'Condition' && typeof argument !== 'string') return this.resolveObject(entries);
        return this.intrinsic(key, argument);
      }
    }
    return this.resolveObject(entries);
  }

  /** Evaluates a named condition of the template (memoised). */
  condition(name: string): boolean {
    const known = this.conditionValues.get(name);
    if (known !== undefined) return known;
    const definition = this.scope.conditions[name];
    if (definition === undefined) throw new TemplateError(`Unknown condition ${name}`);
    const value = this.truth(definition);
    this.conditionValues.set(name, value);
    return value;
  }

  private resolveObject(entries: Array<[string, unknown]>): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.resolve(item);
      if (resolved !== NO_VALUE) result[key] = resolved;
    }
    return result;
  }

  private truth(value: unknown): boolean {
    const resolved = this.resolve(value);
    if (typeof resolved === 'boolean') return resolved;
    if (resolved === 'true' || resolved === 'false') return resolved === 'true';
    throw new TemplateError(`Condition does not evaluate to a boolean: ${JSON.stringify(value)}`);
  }

  private intrinsic(name: string, argument: unknown): unknown {
    switch (name) {
      case 'Ref':
        return this.ref(String(argument));
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = Array.isArray(argument)
          ? [String(argument[0]), String(this.resolve(argument[1]))]
          : splitOnce(String(argument), '.');
        return this.getAtt(logicalId, attribute);
      }
      case 'Fn::Join': {
        const [delimiter, items] = asArray(argument, 'Fn::Join', 2);
        return asArray(this.resolve(items), 'Fn::Join list')
          .map((item) => stringify(item))
          .join(String(delimiter));
      }
      case 'Fn::Sub':
        return this.sub(argument);
      case 'Fn::Select': {
        const [index, list] = asArray(argument, 'Fn::Select', 2);
        const items = asArray(this.resolve(list), 'Fn::Select list');
        const position = Number(this.resolve(index));
        if (!(position in items)) throw new TemplateError(`Fn::Select index ${position} out of range`);
        return items[position];
      }
      case 'Fn::Split': {
        const [delimiter, source] = asArray(argument, 'Fn::Split', 2);
        return String(this.resolve(source)).split(String(delimiter));
      }
      case 'Fn::If': {
        const [conditionName, whenTrue, whenFalse] = asArray(argument, 'Fn::If', 3);
        return this.resolve(this.condition(String(conditionName)) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals': {
        const [left, right] = asArray(argument, 'Fn::Equals', 2);
        return stringify(this.resolve(left)) === stringify(this.resolve(right));
      }
      case 'Fn::Not':
        return !this.truth(asArray(argument, 'Fn::Not', 1)[0]);
      case 'Fn::And':
        return asArray(argument, 'Fn::And').every((item) => this.truth(item));
      case 'Fn::Or':
        return asArray(argument, 'Fn::Or').some((item) => this.truth(item));
      case 'Condition':
        return this.condition(String(argument));
      case 'Fn::GetAZs': {
        const region = String(this.resolve(argument) || this.scope.region);
        return ['a', 'b', 'c'].map((zone) => `${region}${zone}`);
      }
      case 'Fn::FindInMap': {
        const [map, topKey, secondKey] = asArray(argument, 'Fn::FindInMap', 3).map((item) =>
          String(this.resolve(item)),
        );
        const value = this.scope.mappings[map!]?.[topKey!]?.[secondKey!];
        if (value === undefined)
          throw new TemplateError(`Fn::FindInMap found nothing at ${map}.${topKey}.${secondKey}`);
        return value;
      }
      case 'Fn::Base64':
        return Buffer.from(String(this.resolve(argument))).toString('base64');
      case 'Fn::ImportValue': {
        const exportName = String(this.resolve(argument));
        const value = this.scope.importValue?.(exportName);
        if (value === undefined) {
          throw new TemplateError(
            `Fn::ImportValue ${JSON.stringify(exportName)}: no stack deployed in the local cloud exports it ` +
              '(cross-stack imports resolve against stacks deployed before this one)',
          );
        }
        return value;
      }
      default:
        throw new TemplateError(`Unsupported intrinsic function ${name}`);
    }
  }

  private ref(name: string): unknown {
    const pseudo = this.pseudoParameter(name);
    if (pseudo !== undefined) return pseudo;
    if (name in this.scope.parameters) return this.scope.parameters[name];
    const resource = this.scope.resource(name);
    if (!resource) throw new TemplateError(`Ref to ${name}, which is not a parameter or a deployed resource`);
    return resource.physicalId;
  }

  private getAtt(logicalId: string, attribute: string): unknown {
    const resource = this.scope.resource(logicalId);
    if (!resource) throw new TemplateError(`Fn::GetAtt on ${logicalId}, which is not a deployed resource`);
    const value = resource.attributes[attribute];
    if (value !== undefined) return value;
    this.scope.warn(
      `${logicalId}.${attribute} is not known locally (${resource.type}); a placeholder is used`,
    );
    return attribute === 'Arn'
      ? `arn:aws:local:${this.scope.region}:${this.scope.accountId}:${resource.physicalId}`
      : `${resource.physicalId}.${attribute}`;
  }

  private pseudoParameter(name: string): unknown {
    switch (name) {
      case 'AWS::Region':
        return this.scope.region;
      case 'AWS::AccountId':
        return this.scope.accountId;
      case 'AWS::StackName':
        return this.scope.stackName;
      case 'AWS::StackId':
        return this.scope.stackId;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
      default:
        return undefined;
    }
  }

  /** `${Name}`, `${Logical.Attr}` and the literal escape `${!Text}`. */
  private sub(argument: unknown): string {
    const [template, variables] = Array.isArray(argument)
      ? [String(argument[0]), (argument[1] ?? {}) as Record<string, unknown>]
      : [String(argument), {}];
    return template.replace(/\$\{([^}]*)\}/g, (_match, expression: string) => {
      if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
      if (expression in variables) return stringify(this.resolve(variables[expression]));
      const dot = expression.indexOf('.');
      if (dot > 0 && !expression.startsWith('AWS::')) {
        return stringify(this.getAtt(expression.slice(0, dot), expression.slice(dot + 1)));
      }
      return stringify(this.ref(expression));
    });
  }
}

/** Logical ids a value refers to (Ref, Fn::GetAtt, Fn::Sub), for ordering the deployment. */
export function referencedLogicalIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedLogicalIds(item, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, argument] of Object.entries(value)) {
      if (key === 'Ref' && typeof argument === 'string' && !argument.startsWith('AWS::')) into.add(argument);
      else if (key === 'Fn::GetAtt') {
        into.add(Array.isArray(argument) ? String(argument[0]) : splitOnce(String(argument), '.')[0]);
      } else if (key === 'Fn::Sub') {
        const template = Array.isArray(argument) ? String(argument[0]) : String(argument);
        const variables = Array.isArray(argument) ? ((argument[1] ?? {}) as Record<string, unknown>) : {};
        for (const match of template.matchAll(/\$\{([^}!][^}]*)\}/g)) {
          const name = match[1]!.split('.')[0]!;
          if (!name.startsWith('AWS::') && !(name in variables)) into.add(name);
        }
        referencedLogicalIds(variables, into);
      } else referencedLogicalIds(argument, into);
    }
  }
  return into;
}

function splitOnce(text: string, separator: string): [string, string] {
  const index = text.indexOf(separator);
  return index < 0 ? [text, ''] : [text.slice(0, index), text.slice(index + 1)];
}

function asArray(value: unknown, what: string, length?: number): unknown[] {
  if (!Array.isArray(value) || (length !== undefined && value.length < length)) {
    throw new TemplateError(
      `${what} expects a list${length ? ` of ${length}` : ''}: ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function stringify(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
}
