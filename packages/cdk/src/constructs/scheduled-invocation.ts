import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Properties of {@link ScheduledInvocation}. */
export interface ScheduledInvocationProps {
  /** The function to invoke. */
  readonly target: lambda.IFunction;
  /** How often (a `rate()` schedule). */
  readonly every: Duration;
  /** The rule's description. */
  readonly description: string;
  /** Receives invocations EventBridge could not deliver after its retries. */
  readonly deadLetterQueue: sqs.IQueue;
}

/** An EventBridge schedule that invokes a sweep function, with retries and a dead-letter queue. */
export class ScheduledInvocation extends Construct {
  /** The EventBridge rule. */
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledInvocationProps) {
    super(scope, id);
    this.rule = new events.Rule(this, 'Rule', {
      description: props.description,
      schedule: events.Schedule.rate(props.every),
      targets: [
        new targets.LambdaFunction(props.target, {
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: 2,
          // A sweep older than one interval is superseded by the next one.
          maxEventAge: props.every.toSeconds() >= 60 ? props.every : Duration.minutes(1),
        }),
      ],
    });
  }
}
