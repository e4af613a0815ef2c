import { startLocalCloud } from '../../local/server.js';
import { type Command, integerOption } from '../command.js';

export const localCommand: Command = {
  name: 'local',
  summary: 'Run the embedded local cloud (SQS, DynamoDB, ...) on one port',
  usage: `Usage: oncely local [--port N] [--host H] [--data-dir DIR]

Starts the embedded local cloud and keeps it running until interrupted (Ctrl-C).
Point any AWS SDK or the AWS CLI at the printed endpoint:
  aws --endpoint-url http://127.0.0.1:4566 sqs list-queues

Options:
  --port N         TCP port; 0 picks a free one (default 4566)
  --host H         interface to listen on (default 127.0.0.1)
  --data-dir DIR   keep state in DIR so it survives a restart (default: memory only)
  -h, --help       show this help`,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
  },
  async run(values) {
    const port = integerOption(values, 'port', 4566);
    const cloud = await startLocalCloud({
      port,
      host: (values.host as string | undefined) ?? '127.0.0.1',
      ...(values['data-dir'] ? { dataDir: values['data-dir'] as string } : {}),
    });
    console.log(`Oncely local cloud listening on ${cloud.endpoint}`);
    console.log(`  services: ${Object.keys(cloud.services).join(', ')}`);
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
