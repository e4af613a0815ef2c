/**
 * CDK entry point of the points example (`npx cdk synth` in examples/points, after `npm run build`). Settings come from cdk.json context (`oncely`)
 * and `-c oncely:<setting>=<value>`; an invalid one fails synthesis naming it. Without credentials
 * the stack uses a placeholder account so synthesis works offline and looks nothing up.
 */

import { PipelineSettingsError, settingsFromContext } from '@oncely/cdk';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { PointsStack } from './stack/points-stack.js';
import { DEFAULT_STACK_NAME, OFFLINE_ENVIRONMENT } from './synthesize.js';

const app = new App();
const context = (key: string): unknown => app.node.tryGetContext(key);
// `oncely:stackName` and `oncely:nag` steer the app; every other `oncely:*` key is a stack setting.
const appKeys = new Set(['oncely:stackName', 'oncely:nag']);
const contextKeys = Object.keys(app.node.getAllContext()).filter((key) => !appKeys.has(key));
const stackName = (context('oncely:stackName') as string | undefined) ?? DEFAULT_STACK_NAME;
const settings = settingsFromContext(context, contextKeys);

try {
  new PointsStack(app, stackName, {
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT ?? OFFLINE_ENVIRONMENT.account,
      region: process.env.CDK_DEFAULT_REGION ?? OFFLINE_ENVIRONMENT.region,
    },
    settings,
  });
} catch (error) {
  if (!(error instanceof PipelineSettingsError)) throw error;
  console.error(error.message);
  process.exit(1);
}
if (context('oncely:nag') !== false && context('oncely:nag') !== 'false') {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}
app.synth();
