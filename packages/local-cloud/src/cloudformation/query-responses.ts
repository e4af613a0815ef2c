/**
 * CloudFormation's side of the AWS query protocol: XML documents in the 2010-05-15 namespace,
 * lists as `<member>` elements, timestamps in ISO 8601. The documents and element helpers are
 * SNS's, which speaks the same protocol; only the namespace and the shapes differ.
 */
import type { AwsError, ServiceResponse } from '../protocol.js';
import {
  element,
  xmlErrorResponse as queryXmlErrorResponse,
  xmlResponse as queryXmlResponse,
} from '../sns/query-xml.js';
import type { StackRecord, StackResource } from './stack-registry.js';

const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

/** A CloudFormation result document. */
export function xmlResponse(operation: string, requestId: string, resultXml: string): ServiceResponse {
  return queryXmlResponse(operation, requestId, resultXml, NAMESPACE);
}

/** A CloudFormation error document. */
export function xmlErrorResponse(error: AwsError, requestId: string): ServiceResponse {
  return queryXmlErrorResponse(error, requestId, NAMESPACE);
}

/** `<Name><member>...</member>...</Name>`, or nothing for an empty list (CloudFormation omits them). */
export function listElement<T>(name: string, items: readonly T[], render: (item: T) => string): string {
  if (items.length === 0) return '';
  return `<${name}>${items.map((item) => `<member>${render(item)}</member>`).join('')}</${name}>`;
}

function timestamp(name: string, epochMs: number | undefined): string {
  return epochMs === undefined ? '' : element(name, new Date(epochMs).toISOString());
}

/** The local cloud never runs drift detection. */
const STACK_DRIFT = '<DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation>';
const RESOURCE_DRIFT =
  '<DriftInformation><StackResourceDriftStatus>NOT_CHECKED</StackResourceDriftStatus></DriftInformation>';

/** The `Stack` shape of DescribeStacks. */
export function stackXml(stack: StackRecord): string {
  return (
    element('StackId', stack.stackId) +
    element('StackName', stack.stackName) +
    element('Description', stack.description) +
    listElement(
      'Parameters',
      Object.entries(stack.parameters),
      ([key, value]) => element('ParameterKey', key) + element('ParameterValue', value),
    ) +
    timestamp('CreationTime', stack.creationTime) +
    timestamp('LastUpdatedTime', stack.lastUpdatedTime) +
    element('StackStatus', stack.status) +
    element('StackStatusReason', stack.statusReason) +
    element('DisableRollback', false) +
    listElement(
      'Outputs',
      stack.outputs,
      (output) =>
        element('OutputKey', output.key) +
        element('OutputValue', output.value) +
        element('Description', output.description) +
        element('ExportName', output.exportName),
    ) +
    element('EnableTerminationProtection', false) +
    STACK_DRIFT
  );
}

/** The `StackSummary` shape of ListStacks. */
export function stackSummaryXml(stack: StackRecord): string {
  return (
    element('StackId', stack.stackId) +
    element('StackName', stack.stackName) +
    element('TemplateDescription', stack.description) +
    timestamp('CreationTime', stack.creationTime) +
    timestamp('LastUpdatedTime', stack.lastUpdatedTime) +
    element('StackStatus', stack.status) +
    element('StackStatusReason', stack.statusReason) +
    STACK_DRIFT
  );
}

function resourceIdentity(resource: StackResource): string {
  return (
    element('LogicalResourceId', resource.logicalId) +
    // A resource that failed to create has no physical id yet.
    element('PhysicalResourceId', resource.physicalId || undefined) +
    element('ResourceType', resource.type)
  );
}

function resourceStatus(resource: StackResource): string {
  return element('ResourceStatus', resource.status) + element('ResourceStatusReason', resource.statusReason);
}

/** The `StackResourceSummary` shape of ListStackResources. */
export function resourceSummaryXml(resource: StackResource): string {
  return (
    resourceIdentity(resource) +
    timestamp('LastUpdatedTimestamp', resource.lastUpdated) +
    resourceStatus(resource) +
    RESOURCE_DRIFT
  );
}

/** The `StackResource` shape of DescribeStackResources. */
export function stackResourceXml(stack: StackRecord, resource: StackResource): string {
  return (
    element('StackName', stack.stackName) +
    element('StackId', stack.stackId) +
    resourceIdentity(resource) +
    timestamp('Timestamp', resource.lastUpdated) +
    resourceStatus(resource) +
    RESOURCE_DRIFT
  );
}

/** The `StackResourceDetail` shape of DescribeStackResource. */
export function stackResourceDetailXml(stack: StackRecord, resource: StackResource): string {
  return (
    element('StackName', stack.stackName) +
    element('StackId', stack.stackId) +
    resourceIdentity(resource) +
    timestamp('LastUpdatedTimestamp', resource.lastUpdated) +
    resourceStatus(resource) +
    RESOURCE_DRIFT
  );
}
