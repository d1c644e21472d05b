import { dataSchemaId, messages, type RoutingKey } from './catalog.js';
import { brokerUserOf, isServiceName } from './producers.js';
import { embeddedJsonSchema } from './openapi.js';
import { exchangeName, workQueues } from './topology.js';
import { replayedTypes } from './broker-access.js';

type Json = Record<string, unknown>;

/** Internal messages travel between xauth's own services; the rest are for upstream publishers and subscribers. */
export const isInternalMessage = (type: RoutingKey): boolean => type.startsWith('authorization.');

/**
 * The envelope's headers: the CloudEvent's attributes in binary content mode, named as in the
 * CloudEvents AMQP protocol binding (`cloudEvents_<attribute>`); `datacontenttype` is the
 * contentType property. The AMQP properties carry the same facts for RabbitMQ-native consumers (see `ENVELOPE_TEXT`).
 */
const ENVELOPE_HEADERS: Json = {
  type: 'object',
  required: ['cloudEvents_specversion', 'cloudEvents_id', 'cloudEvents_source', 'cloudEvents_type', 'cloudEvents_time', 'cloudEvents_dataschema', 'x-attempt'],
  properties: {
    cloudEvents_specversion: { const: '1.0' },
    cloudEvents_id: { type: 'string', description: 'the CloudEvents id: a UUID, the same as the messageId property; consumers dedupe on it' },
    cloudEvents_source: { type: 'string', format: 'uri-reference', description: 'the publishing service, e.g. orchestrator (also the appId property)' },
    cloudEvents_type: { type: 'string', description: 'the message type, e.g. user.authenticated (also the type property; no reply suffix)' },
    cloudEvents_time: {
      type: 'string',
      format: 'date-time',
      description: 'when the message was first published, RFC 3339 (the timestamp property in whole seconds)',
    },
    cloudEvents_dataschema: { type: 'string', format: 'uri', description: 'the payload schema with its version, e.g. urn:xauth:schema:user.authenticated:v1' },
    cloudEvents_traceparent: {
      type: 'string',
      description: 'CloudEvents Distributed Tracing extension: the W3C trace context it was published in, when tracing is on',
    },
    cloudEvents_tracestate: { type: 'string', description: 'CloudEvents Distributed Tracing extension: W3C tracestate, when there is one' },
    'x-attempt': { type: 'integer', minimum: 1, description: 'our own delivery attempt, 1-based' },
    'x-causation-id': { type: 'string', description: 'messageId of the message that caused this one' },
    traceparent: { type: 'string', description: 'W3C trace context of the current hop, when tracing is on' },
    tracestate: { type: 'string', description: 'W3C tracestate of the current hop, when there is one' },
  },
};

const ENVELOPE_TEXT =
  'A CloudEvent in binary content mode (CloudEvents AMQP protocol binding): the attributes are the cloudEvents_* headers, ' +
  'the data is the JSON body, datacontenttype is the contentType property. ' +
  'The AMQP properties say the same for RabbitMQ-native consumers: messageId (the CloudEvents id, a UUID; consumers dedupe on it), type (= the routing key), ' +
  'timestamp, contentType application/json, appId (the publishing service), correlationId (the request that started it all), ' +
  'userId (the broker user that published it, which RabbitMQ checks against the connection), persistent delivery. Consumers still accept the ce-* headers of earlier releases (until the next release). ' +
  'A publisher that sends only a JSON body still works: the consumer fills in what is missing.';

/**
 * Who may publish a type, for its description: each xauth service with its broker user, and
 * upstream publishers. The same list is the message's `x-producers`.
 */
function producersText(type: RoutingKey): string {
  const names = messages[type].producers.map((p) =>
    isServiceName(p) ? `the ${p} (broker user ${brokerUserOf(p)})` : 'upstream services (any other broker user)',
  );
  const replayed = replayedTypes().includes(type) ? ', and the dead-letter office when an operator replays a dead letter (x-replay-of set)' : '';
  return `Published by ${names.join(', ')}${replayed}; the userId property names the publisher, and xauth's consumers dead-letter any other with FORGED_PRODUCER.`;
}

/** Who consumes a command (its work queue's owner), for the message's description. */
function consumerOf(type: RoutingKey): string | undefined {
  return Object.values(workQueues).find((q) => (q.consumes as readonly string[]).includes(type))?.service;
}

/**
 * The AsyncAPI 3.0 document of xauth on RabbitMQ, from xauth's side: the commands it receives on
 * `<namespace>.commands`, the events it sends on `<namespace>.events` (targeted replies of a
 * repliable event as `<type>.<replyTo>`), with each payload's JSON Schema built from the zod contract.
 */
export function asyncApiDocument(opts: { namespace?: string; host?: string; version?: string } = {}): Json {
  const ns = opts.namespace ?? 'xauth';
  const channels: Json = {};
  const operations: Json = {};
  const componentMessages: Json = {};
  for (const type of Object.keys(messages) as RoutingKey[]) {
    const c = messages[type];
    const exchange = exchangeName(ns, c.kind === 'command' ? 'commands' : 'events');
    const internal = isInternalMessage(type);
    const consumer = c.kind === 'command' ? consumerOf(type) : undefined;
    componentMessages[type] = {
      name: type,
      title: type,
      summary: `${c.kind} v${c.version}${internal ? ', internal (between xauth services; do not rely on it)' : ''}${consumer ? `, consumed by the ${consumer}` : ''}`,
      description: [
        ENVELOPE_TEXT,
        c.secretFields?.length ? `Secret fields (${c.secretFields.join(', ')}) are redacted wherever the message is logged or stored.` : '',
        c.repliable ? `Also published as \`${type}.<replyTo>\` when the request named a replyTo.` : '',
        producersText(type),
        c.notes ?? '',
      ]
        .filter(Boolean)
        .join(' '),
      contentType: 'application/json',
      headers: ENVELOPE_HEADERS,
      // AsyncAPI 3.0's default schema format is a superset of JSON Schema draft-07.
      payload: embeddedJsonSchema(messages[type].schema, 'output', 'draft-7'),
      correlationId: { location: '$message.header#/correlation_id', description: 'the AMQP correlationId property' },
      tags: [{ name: c.kind }, { name: internal ? 'internal' : 'public' }],
      bindings: { amqp: { messageType: type, bindingVersion: '0.3.0' } },
      'x-dataschema': dataSchemaId(type),
      // Who may publish it: xauth services by name (their broker user is xauth-<service>) and `upstream` for any other publisher.
      'x-producers': [...c.producers],
    };
    channels[type] = {
      address: c.repliable ? `${type}.#` : type,
      description: `Routing key ${type} on the ${exchange} topic exchange${c.repliable ? ` (and ${type}.<replyTo> for targeted replies: bind ${type}.# to hear all)` : ''}.`,
      messages: { [type]: { $ref: `#/components/messages/${type}` } },
      bindings: {
        amqp: { is: 'routingKey', exchange: { name: exchange, type: 'topic', durable: true, autoDelete: false, vhost: '/' }, bindingVersion: '0.3.0' },
      },
    };
    operations[`${c.kind === 'command' ? 'receive' : 'send'}-${type}`] = {
      action: c.kind === 'command' ? 'receive' : 'send',
      channel: { $ref: `#/channels/${type}` },
      summary: c.kind === 'command' ? `xauth consumes ${type}: publish it to ${exchange}` : `xauth announces ${type} on ${exchange}: bind a queue to hear it`,
      messages: [{ $ref: `#/channels/${type}/messages/${type}` }],
      // Persistent, timestamped; consumed with manual acks after the work is committed.
      bindings: { amqp: { deliveryMode: 2, timestamp: true, ack: true, bindingVersion: '0.3.0' } },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'xauth on RabbitMQ',
      version: opts.version ?? '1',
      description:
        `Commands go to the ${exchangeName(ns, 'commands')} topic exchange, events come from ${exchangeName(ns, 'events')}; ` +
        `the exchange names start with the namespace (XAUTH_NAMESPACE, here "${ns}"). Tokens never travel on the bus: read them over REST.`,
    },
    defaultContentType: 'application/json',
    servers: {
      rabbitmq: {
        host: opts.host ?? '127.0.0.1:5672',
        protocol: 'amqp',
        protocolVersion: '0.9.1',
        description: 'the broker of the deployment (quorum queues, publisher confirms)',
      },
    },
    channels,
    operations,
    components: { messages: componentMessages },
  };
}
