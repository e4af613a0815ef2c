import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type DeploySummary, deployTemplate, isLoopbackHost, startLocalCloud } from '@oncely/local-cloud';
import { type Command, integerOption, positiveIntegerOption, UsageError } from '../command.js';

/** Where `oncely local` writes the deployed stack's outputs for the other commands' --outputs-file. */
const DEFAULT_OUTPUTS_FILE = '.oncely/local-outputs.json';

export const localCommand: Command = {
  name: 'local',
  summary: 'Run the embedded local cloud (SQS, DynamoDB, ...) on one port',
  usage: `Usage: oncely local [--port N] [--host H [--allow-remote]] [--allow-host NAME] [--data-dir DIR]
                    [--empty] [--time-scale X]

Starts the embedded local cloud, deploys the synthesized Oncely stack into it (synthesis is
cached in .oncely/stacks) and keeps it running until interrupted (Ctrl-C). Prints the
resources and writes the stack outputs to ${DEFAULT_OUTPUTS_FILE}, so the other commands find them:
  oncely status --endpoint http://127.0.0.1:4566 --outputs-file ${DEFAULT_OUTPUTS_FILE}
Point any AWS SDK or the AWS CLI at the printed endpoint:
  aws --endpoint-url http://127.0.0.1:4566 sqs list-queues

Options:
  --port N             TCP port; 0 picks a free one (default 4566)
  --host H             interface to listen on (default 127.0.0.1); other than loopback needs --allow-remote
  --allow-remote       accept a non-loopback --host: anyone who can reach the port can run code here
  --allow-host NAME    accept requests addressed to NAME (e.g. a Docker service name), besides
                       127.0.0.1/localhost; repeatable (see docs/local-cloud-security.md)
  --data-dir DIR       keep state in DIR so it survives a restart (default: memory only)
  --empty              start with no resources: do not deploy the stack
  --time-scale X       run alarm periods and schedules X times faster (default 1)
  --outputs-file FILE  where to write the stack outputs (default ${DEFAULT_OUTPUTS_FILE})
  -h, --help           show this help`,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'allow-remote': { type: 'boolean' },
    'allow-host': { type: 'string', multiple: true },
    'data-dir': { type: 'string' },
    empty: { type: 'boolean' },
    'time-scale': { type: 'string' },
    'outputs-file': { type: 'string' },
  },
  async run(values) {
    const port = integerOption(values, 'port', 4566);
    const timeScale = positiveIntegerOption(values, 'time-scale', 1);
    const host = (values.host as string | undefined) ?? '127.0.0.1';
    // No authentication: beyond loopback, anyone who reaches the port runs code on this machine.
    if (!isLoopbackHost(host) && !values['allow-remote']) {
      throw new UsageError(
        `--host ${host} is not a loopback address: anyone who can reach it could run code on this machine ` +
          'through the Lambda API. Add --allow-remote to accept that risk.',
      );
    }
    // Synthesize before listening, so a broken stack fails before anything starts.
    // Imported only when deploying: aws-cdk-lib takes longer to load than the whole local cloud.
    const stack = values.empty ? undefined : (await import('@oncely/example-points')).synthesizedStack();
    const cloud = await startLocalCloud({
      port,
      host,
      allowRemote: Boolean(values['allow-remote']),
      allowedHosts: (values['allow-host'] as string[] | undefined) ?? [],
      ...(values['data-dir'] ? { dataDir: values['data-dir'] as string } : {}),
      monitoring: { timeScale },
    });
    console.log(`Oncely local cloud listening on ${cloud.endpoint}`);
    console.log(`  services: ${Object.keys(cloud.services).join(', ')}`);
    if (stack) {
      const summary = await deployTemplate(cloud, stack.template, {
        assetDir: stack.assetDir,
        stackName: stack.stackName,
      });
      const outputsFile = (values['outputs-file'] as string | undefined) ?? DEFAULT_OUTPUTS_FILE;
      await mkdir(dirname(outputsFile), { recursive: true });
      await writeFile(outputsFile, `${JSON.stringify(summary, null, 2)}\n`);
      console.log(describeDeployment(summary, stack.reused));
      console.log(`  outputs written to ${outputsFile}; try:`);
      console.log(`    oncely status --endpoint ${cloud.endpoint} --outputs-file ${outputsFile}`);
    }
    console.log(`  try: aws --endpoint-url ${cloud.endpoint} --region us-east-1 sqs list-queues`);
    await new Promise<void>((resolve) => {
      const shutdown = () => resolve();
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
    console.log('Stopping local cloud...');
    await cloud.stop();
    return 0;
  },
};

/** The deployed stack for people: outputs, then every resource with its name or URL. */
function describeDeployment(summary: DeploySummary, reused: boolean): string {
  const lines = [`Stack ${summary.stackName} deployed${reused ? ' (cached synthesis)' : ''}:`];
  const outputs = Object.entries(summary.outputs);
  const width = Math.max(0, ...outputs.map(([key]) => key.length));
  for (const [key, value] of outputs) lines.push(`  ${key.padEnd(width)}  ${String(value)}`);
  const statuses = Object.values(summary.resources).map((resource) => resource.status);
  const count = (status: string) => statuses.filter((candidate) => candidate === status).length;
  lines.push(
    `  ${count('created')} resources created, ${count('accepted')} accepted without effect (IAM, log groups, ...), ` +
      `${count('unsupported')} unsupported`,
  );
  for (const entry of summary.unsupported) lines.push(`  warning: ${entry.warning}`);
  for (const warning of summary.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n');
}
