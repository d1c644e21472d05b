import { createRequire } from 'node:module';
import express, { Router } from 'express';
import { asyncApiDocument, openApiDocument } from '@xauth/contracts';

const require = createRequire(import.meta.url);
/** Swagger UI's prebuilt files (the swagger-ui-dist package), served as they are: nothing is fetched from elsewhere. */
const SWAGGER_UI_DIR = (require('swagger-ui-dist') as { getAbsoluteFSPath(): string }).getAbsoluteFSPath();

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>xauth gateway API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>`;
const INIT = "window.ui = SwaggerUIBundle({ url: '/docs/openapi.json', dom_id: '#ui', deepLinking: true });\n";

/**
 * The API's own description, open like the JWKS: `GET /docs/openapi.json` (OpenAPI 3.1, built from
 * the zod schemas the routes validate with), `GET /docs`, Swagger UI on it, where a client can get a
 * token and try the routes its scopes allow, and `GET /docs/asyncapi.json` (AsyncAPI 3.0: the
 * messages on this namespace's exchanges, from the same contracts).
 */
export function docsRoutes(opts: { namespace: string; version?: string }): Router {
  const router = Router();
  const json = (body: unknown) => {
    const text = JSON.stringify(body);
    return (_req: express.Request, res: express.Response) => {
      res.type('application/json').set('Cache-Control', 'public, max-age=300').send(text);
    };
  };
  router.get('/docs/openapi.json', json(openApiDocument(opts)));
  router.get('/docs/asyncapi.json', json(asyncApiDocument(opts)));
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  router.use('/docs/assets', express.static(SWAGGER_UI_DIR, { index: false, maxAge: '1h' }));
  return router;
}
