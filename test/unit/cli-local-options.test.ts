/**
 * `oncely local` refuses bad arguments before it starts anything, in one line naming the option
 * (exit status 2), and names deployed functions in its log prefix the way people know them.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  integerOption,
  keyValueOption,
  portOption,
  positiveNumberOption,
  UsageError,
} from '../../packages/cli/src/command.js';
import { functionLabels } from '../../packages/cli/src/commands/local.js';
import { main } from '../../packages/cli/src/main.js';
import type { DeploySummary } from '../../packages/local-cloud/src/deploy/template-deployer.js';

async function refusal(args: string[]): Promise<string> {
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    expect(await main(['local', ...args])).toBe(2);
    expect(log).not.toHaveBeenCalled();
    const printed = error.mock.calls.flat().join('\n').trim();
    expect(printed.split('\n')).toHaveLength(1);
    return printed;
  } finally {
    error.mockRestore();
    log.mockRestore();
  }
}

describe('oncely local refuses bad arguments in one line naming the option', () => {
  it.each([
    [['--port', '65536'], "--port must be a port number from 0 to 65535, got '65536'"],
    [['--port', '-1'], "--port must be a port number from 0 to 65535, got '-1'"],
    [['--port=-80'], "--port must be a port number from 0 to 65535, got '-80'"],
    [['--port', '80.5'], "--port must be a port number from 0 to 65535, got '80.5'"],
    [['--port', ''], "--port must be a port number from 0 to 65535, got ''"],
    [['--port', '0x50'], "--port must be a port number from 0 to 65535, got '0x50'"],
    [['--time-scale', '0'], "--time-scale must be a positive number, got '0'"],
    [['--time-scale', '-2'], "--time-scale must be a positive number, got '-2'"],
    [['--time-scale', 'fast'], "--time-scale must be a positive number, got 'fast'"],
    [['--app', 'node app.js', '--template', 'x.json'], '--app and --template cannot be used together'],
    [['--empty', '--template', 'x.json'], '--template and --empty cannot be used together'],
    [['--template', 'missing/Stack.template.json'], '--template missing/Stack.template.json: no such file'],
    [['--app', 'node app.js', '-c', 'novalue'], "--context must be key=value, got 'novalue'"],
    [['--empty', '--stack', 'Orders'], '--stack needs something to deploy'],
    [['--empty', '--context', 'a=b'], '--context applies to a CDK app'],
    [['--host', ''], '--host must not be empty'],
    [['--port'], "Option '--port <value>' argument missing"],
  ])('%j', async (args, message) => {
    const printed = await refusal(args);
    expect(printed).toContain(`oncely local: ${message}`);
  });
});

describe('option helpers', () => {
  it('accept what they should', () => {
    expect(portOption({ port: '0' }, 'port', 4566)).toBe(0);
    expect(portOption({ port: '65535' }, 'port', 4566)).toBe(65535);
    expect(portOption({}, 'port', 4566)).toBe(4566);
    expect(positiveNumberOption({ scale: '0.5' }, 'scale', 1)).toBe(0.5);
    expect(positiveNumberOption({ scale: '30' }, 'scale', 1)).toBe(30);
    expect(keyValueOption({ context: ['a=1', 'b=x=y'] }, 'context')).toEqual({ a: '1', b: 'x=y' });
  });

  it('integerOption takes decimal digits only (Number() would take "", "1e3" and "0x10")', () => {
    for (const raw of ['', '1e3', '0x10', '-1', '2.5']) {
      expect(() => integerOption({ grace: raw }, 'grace', 0)).toThrow(UsageError);
    }
    expect(integerOption({ grace: '300' }, 'grace', 0)).toBe(300);
  });
});

describe('function labels in the log prefix', () => {
  const summary = (stackName: string, resources: DeploySummary['resources']): DeploySummary => ({
    stackName,
    stackId: `arn:aws:cloudformation:us-east-1:000000000000:stack/${stackName}/x`,
    resources,
    outputs: {},
    unsupported: [],
    warnings: [],
  });

  it("uses a generated function's logical id without CDK's hash, and an explicit name as is", () => {
    const labels = functionLabels([
      summary('Orders', {
        PointsConsumer4A1B2C3D: {
          type: 'AWS::Lambda::Function',
          status: 'created',
          physicalId: 'Orders-PointsConsumer4A1B2C3D-0ABCDEFGHIJKL',
        },
        Named: { type: 'AWS::Lambda::Function', status: 'created', physicalId: 'place-order' },
        Queue: { type: 'AWS::SQS::Queue', status: 'created', physicalId: 'http://q' },
      }),
    ]);
    expect(Object.fromEntries(labels)).toEqual({
      'Orders-PointsConsumer4A1B2C3D-0ABCDEFGHIJKL': 'PointsConsumer',
      'place-order': 'place-order',
    });
  });

  it('prefixes the stack name when two stacks would print the same label', () => {
    const fn = (stack: string) => ({
      HandlerAAAAAAAA: {
        type: 'AWS::Lambda::Function',
        status: 'created' as const,
        physicalId: `${stack}-HandlerAAAAAAAA-X`,
      },
    });
    const labels = functionLabels([summary('Blue', fn('Blue')), summary('Green', fn('Green'))]);
    expect([...labels.values()]).toEqual(['Blue/Handler', 'Green/Handler']);
  });
});
