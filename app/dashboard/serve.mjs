#!/usr/bin/env node
// The risk dashboard's server: static files, the SDK's kernel wrapper (TypeScript, served with
// its types stripped by the pinned `typescript` package), the .wasm, and one portfolio file.
// Every number on the page is computed in the browser by the WebAssembly kernel.
//
//   node app/dashboard/serve.mjs --portfolio examples/portfolio.json [--port 8787] [--host 127.0.0.1]
//
// Prints `dashboard: http://HOST:PORT/` once listening (--port 0: any free port). The file is
// read on every request: edit it and reload. Needs app/sdk/wasm/risk_kernel.wasm
// (scripts/wasm-build.sh).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ts from 'typescript';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const KERNEL_SRC = join(ROOT, 'app/sdk/src/kernel/index.ts');
const WASM = join(ROOT, 'app/sdk/wasm/risk_kernel.wasm');

const { values: args } = parseArgs({
  options: {
    portfolio: { type: 'string' },
    port: { type: 'string', default: '8787' },
    host: { type: 'string', default: '127.0.0.1' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help || !args.portfolio) {
  console.error('usage: node app/dashboard/serve.mjs --portfolio FILE.json [--port 8787] [--host 127.0.0.1]');
  process.exit(args.help ? 0 : 64);
}
const PORTFOLIO = resolve(process.cwd(), args.portfolio);
for (const [what, path, fix] of [
  ['portfolio file', PORTFOLIO, 'see examples/portfolio.json'],
  ['kernel', WASM, 'run scripts/wasm-build.sh'],
]) {
  if (!existsSync(path)) {
    console.error(`dashboard: ${what} ${path} not found (${fix})`);
    process.exit(2);
  }
}

// The SDK's wrapper as a browser module: erasable TypeScript only, so stripping types is all.
async function kernelJs() {
  const out = ts.transpileModule(await readFile(KERNEL_SRC, 'utf8'), {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false },
    fileName: 'index.ts',
  });
  return out.outputText;
}

const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

const server = createServer(async (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const send = (status, type, body) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'GET only\n');
    if (STATIC[path]) {
      const [file, type] = STATIC[path];
      return send(200, type, await readFile(join(HERE, file)));
    }
    // Same relative layout as the SDK: kernel/index.js finds ../../wasm/risk_kernel.wasm.
    if (path === '/sdk/src/kernel/index.js') return send(200, 'text/javascript; charset=utf-8', await kernelJs());
    if (path === '/sdk/wasm/risk_kernel.wasm') return send(200, 'application/wasm', await readFile(WASM));
    if (path === '/portfolio.json') return send(200, 'application/json; charset=utf-8', await readFile(PORTFOLIO));
    if (path === '/favicon.ico') return send(204, 'text/plain', '');
    return send(404, 'text/plain', `not found: ${path}\n`);
  } catch (e) {
    return send(500, 'text/plain', `${e}\n`);
  }
});

server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  console.log(`dashboard: http://${args.host}:${port}/ (portfolio ${args.portfolio})`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
