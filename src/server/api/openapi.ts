/** The OpenAPI 3.1 document of `/api/v1`, generated from the routes' zod schemas (`z.toJSONSchema`). */
import { z } from 'zod';
import { api } from '../../protocol/index.js';
import { packageVersion } from '../package-info.js';
import type { Route } from './routes.js';

const REF = (id: string) => `#/components/schemas/${id}`;

/** A schema without an id (a parameter), as JSON Schema. */
function jsonSchema(schema: z.ZodType): object {
  const json: Record<string, unknown> = z.toJSONSchema(schema, { unrepresentable: 'any' });
  delete json.$schema; // OpenAPI 3.1 says the dialect once, for the whole document
  return json;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'A parameter or the body does not match its schema (`bad-request`).',
  401: 'No valid bearer token (`unauthorized`).',
  403: 'The token has no admin grant (`forbidden`).',
  404: 'No such room or member (`not-found`).',
  413: 'The body is larger than `--max-payload` (`payload-too-large`).',
};

export function openApiDocument(routes: Route[]): object {
  const paths: Record<string, Record<string, object>> = {};
  // Every schema with a `meta({ id })` (protocol/api.ts), once, under components; nested ones as `$ref`s.
  const { schemas } = z.toJSONSchema(z.globalRegistry, { uri: REF, unrepresentable: 'any' });
  const components = Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _, $id: __, ...rest }]) => [id, rest]),
  );
  const ref = (schema: z.ZodType) => {
    const id = z.globalRegistry.get(schema)?.id;
    return id ? { $ref: REF(id) } : jsonSchema(schema);
  };
  for (const route of routes) {
    const errors = [400, 401, 403, ...route.errors];
    const operation = {
      summary: route.summary,
      security: [{ adminToken: [] }],
      parameters: [
        ...Object.entries(route.params).map(([name, schema]) => ({
          name,
          in: 'path',
          required: true,
          schema: jsonSchema(schema),
        })),
        ...Object.entries(route.query ?? {}).map(([name, schema]) => ({
          name,
          in: 'query',
          required: false,
          schema: jsonSchema(schema),
        })),
      ],
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: ref(route.body) } } } }
        : {}),
      responses: {
        200: { description: 'OK', content: { 'application/json': { schema: ref(route.response) } } },
        ...Object.fromEntries(
          errors.map((status) => [
            status,
            { description: STATUS_TEXT[status], content: { 'application/json': { schema: { $ref: REF('Error') } } } },
          ]),
        ),
      },
    };
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tsunagu server API',
      version: packageVersion,
      description:
        'For the backends beside a call server: who is in which room, removing members, messages to a room. Cluster-wide answers on any node. Webhook bodies are `WebhookEvent`.',
    },
    servers: [{ url: api.API_PREFIX }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        adminToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A JWT with `admin: true`, signed like client tokens (`tsunagu token --admin`).',
        },
      },
    },
  };
}
