// An integrator's site, as www/README.md's quick start assumes it: the
// installed package under /node_modules/@vigil-ml/web/ (this www/ directory:
// dist/, package.json), the model and its card under /models/ (fixtures/),
// and pages registered by the tests (with optional response headers).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { WWW } from '../../scripts/serve.mjs';

const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.vgl': 'application/octet-stream',
};

const MOUNTS = [
  ['/node_modules/@vigil-ml/web/', WWW],
  ['/models/', join(WWW, 'fixtures')],
];

/** Resolves to { url, add(path, html, headers?), close() }. */
export function serveSite() {
  const pages = new Map();
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const page = pages.get(path);
    if (page) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...page.headers });
      res.end(page.html);
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    for (const [prefix, root] of MOUNTS) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(root, path.slice(prefix.length)));
      if (!file.startsWith(root + sep)) break;
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
        res.end(body);
        return;
      } catch {
        break;
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      ok({
        url,
        add(path, html, headers = {}) {
          pages.set(path, { html, headers });
          return `${url}${path}`;
        },
        close: () => new Promise((done) => server.close(done)),
      });
    });
  });
}
