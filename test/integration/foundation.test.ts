import Router from '@koa/router';
import request from 'supertest';
import { AppError } from '../../src/errors';
import { buildTestApp, type TestApp } from '../helpers/app';
import { DATABASES } from '../helpers/databases';

describe.each(DATABASES)('foundation (%s)', (db) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ db });
    // Routes that fail on purpose, mounted on the real app to drive the error middleware.
    const failing = new Router()
      .get('/boom', () => {
        throw new Error('database password is hunter2');
      })
      .get('/teapot', (ctx) => ctx.throw(418, 'short and stout'))
      .get('/app-error', () => {
        throw new AppError(409, 'CLASH', 'Already there.');
      });
    t.app.middleware.push(failing.routes() as never);
    t.server = t.app.callback();
  });
  afterAll(() => t.close());

  describe('GET /healthz and /readyz', () => {
    it('reports the process and the database as up', async () => {
      await request(t.server).get('/healthz').expect(200, { status: 'ok' });
      const ready = await request(t.server).get('/readyz').expect(200);
      expect(ready.body.checks).toEqual({ database: 'ok' });
    });
  });

  describe('error middleware', () => {
    it('renders the styled 404 page with a request id for an unknown page', async () => {
      const res = await request(t.server).get('/nope').expect(404);
      expect(res.type).toBe('text/html');
      expect(res.text).toContain('Not Found');
      expect(res.text).toContain('/build/css/app.');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.text).toContain(res.headers['x-request-id']);
    });

    it('answers a 404 problem for an unknown API route, even without a token', async () => {
      const res = await request(t.server)
        .get('/api/nope')
        .set('Accept', 'application/json')
        .expect(404);
      expect(res.type).toBe('application/problem+json');
      expect(res.body).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
      expect(res.body.request_id).toBe(res.headers['x-request-id']);
    });

    it('answers JSON to a page route when the client asks for JSON', async () => {
      const res = await request(t.server)
        .get('/nope')
        .set('Accept', 'application/json')
        .expect(404);
      expect(res.type).toBe('application/problem+json');
    });

    it('turns an unexpected error into a 500 page that leaks nothing, logged once with the request id', async () => {
      const before = t.logs.length;
      const res = await request(t.server).get('/boom').expect(500);
      expect(res.text).not.toContain('hunter2');
      expect(res.text).not.toMatch(/at .*\.ts:\d+/);
      const errors = t.logs.slice(before).filter((line) => line.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0].reqId).toBe(res.headers['x-request-id']);
    });

    it('turns an unexpected error into a 500 problem for JSON clients', async () => {
      const res = await request(t.server)
        .get('/boom')
        .set('Accept', 'application/json')
        .expect(500);
      expect(res.body.detail).not.toContain('hunter2');
      expect(res.body.request_id).toBe(res.headers['x-request-id']);
    });

    it('passes ctx.throw(4xx, message) through with its message, and does not log it as an error', async () => {
      const before = t.logs.length;
      const res = await request(t.server)
        .get('/teapot')
        .set('Accept', 'application/json')
        .expect(418);
      expect(res.body.detail).toBe('short and stout');
      expect(t.logs.slice(before).filter((line) => line.level === 50)).toHaveLength(0);
    });

    it('renders an AppError with its status and code', async () => {
      const res = await request(t.server)
        .get('/app-error')
        .set('Accept', 'application/json')
        .expect(409);
      expect(res.body).toMatchObject({ code: 'CLASH', detail: 'Already there.' });
      const page = await request(t.server).get('/app-error').expect(409);
      expect(page.text).toContain('Already there.');
    });

    it('answers 400 to malformed JSON', async () => {
      const res = await request(t.server)
        .post('/api/auth/token')
        .set('Content-Type', 'application/json')
        .send('{"username": ')
        .expect(400);
      expect(res.type).toBe('application/problem+json');
    });

    it('answers 413 to an oversized JSON body', async () => {
      const res = await request(t.server)
        .post('/api/auth/token')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) }))
        .expect(413);
      expect(res.body.status).toBe(413);
    });

    it('sends security headers on pages', async () => {
      const res = await request(t.server).get('/');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBeDefined();
    });
  });

  describe('GET / for guests', () => {
    it('explains Depot and links to sign-in and registration', async () => {
      const res = await request(t.server).get('/').expect(200);
      expect(res.text).toContain('href="/login"');
      expect(res.text).toContain('href="/register"');
      expect(res.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('GET /metrics', () => {
    it('exposes request counters in Prometheus format', async () => {
      await request(t.server).get('/healthz');
      const res = await request(t.server).get('/metrics').expect(200);
      expect(res.text).toContain('depot_http_requests_total');
    });
  });
});
