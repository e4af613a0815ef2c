/**
 * The AWS clients of a Lambda entry point: the ones a test or benchmark passes in, or new ones for
 * the configured region and endpoint. One place, so every handler reads the same settings.
 */
import { type AwsClients, createAwsClients } from '../adapters/aws-clients.js';
import type { Config } from '../config.js';

/** `clients` when given (tests, benchmarks), else clients for `region` and `endpoint` from `config`. */
export function handlerClients(config: Config, clients?: AwsClients): AwsClients {
  return (
    clients ?? createAwsClients({ region: config.optional('region'), endpoint: config.optional('endpoint') })
  );
}
