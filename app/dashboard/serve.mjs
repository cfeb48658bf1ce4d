#!/usr/bin/env node
// The risk dashboard's server: static files, the SDK's kernel wrapper (TypeScript, served with
// its types stripped by the pinned `typescript` package), the .wasm, and one portfolio: a file,
// or a live margin account read from a cluster. Every number on the page is computed in the
// browser by the WebAssembly kernel.
//
//   node app/dashboard/serve.mjs --portfolio examples/portfolio.json [--port 8787] [--host 127.0.0.1]
//   node app/dashboard/serve.mjs --account ADDRESS --rpc-url URL --oracle FEED_HEX=PRICE_ACCOUNT...
//        [--underlying-name ID=NAME...] [--asset-name ASSET=NAME...]
//
// Prints `dashboard: http://HOST:PORT/` once listening (--port 0: any free port). The portfolio
// is read on every request (the file, or the account's kernel inputs through the SDK's
// `accountPortfolio`, the program's own inputs to the Money unit): reload to refresh. Needs
// app/sdk/wasm/risk_kernel.wasm (scripts/wasm-build.sh).
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
    account: { type: 'string' },
    'rpc-url': { type: 'string' },
    oracle: { type: 'string', multiple: true, default: [] },
    'underlying-name': { type: 'string', multiple: true, default: [] },
    'asset-name': { type: 'string', multiple: true, default: [] },
    port: { type: 'string', default: '8787' },
    host: { type: 'string', default: '127.0.0.1' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help || !(args.portfolio || (args.account && args['rpc-url']))) {
  console.error(
    'usage: node app/dashboard/serve.mjs --portfolio FILE.json | --account ADDRESS --rpc-url URL --oracle FEED_HEX=PRICE_ACCOUNT... ' +
      '[--underlying-name ID=NAME...] [--asset-name ASSET=NAME...] [--port 8787] [--host 127.0.0.1]',
  );
  process.exit(args.help ? 0 : 64);
}
const PORTFOLIO = args.portfolio ? resolve(process.cwd(), args.portfolio) : null;
for (const [what, path, fix] of [
  ...(PORTFOLIO ? [['portfolio file', PORTFOLIO, 'see examples/portfolio.json']] : []),
  ['kernel', WASM, 'run scripts/wasm-build.sh'],
]) {
  if (!existsSync(path)) {
    console.error(`dashboard: ${what} ${path} not found (${fix})`);
    process.exit(2);
  }
}

const pairs = (list, what) =>
  list.map((kv) => {
    const i = kv.indexOf('=');
    if (i < 1) {
      console.error(`dashboard: --${what} ${kv}: expected KEY=VALUE`);
      process.exit(64);
    }
    return [kv.slice(0, i), kv.slice(i + 1)];
  });

// Account mode: the SDK (TypeScript) through tsx's loader (a pinned dev dependency).
let accountJson;
if (args.account) {
  const { register } = await import('tsx/esm/api');
  register();
  const sdk = await import('../sdk/src/index.ts');
  const { accountPortfolio } = await import('../sdk/src/kernel/account.ts');
  const feeds = pairs(args.oracle, 'oracle').map(([hex, a]) => [Buffer.from(hex, 'hex'), a]);
  const underlyingNames = Object.fromEntries(pairs(args['underlying-name'], 'underlying-name').map(([k, v]) => [Number(k), v]));
  const assetNames = Object.fromEntries(pairs(args['asset-name'], 'asset-name'));
  accountJson = async () => {
    const market = new sdk.MarketIndex(new sdk.RpcChain(args['rpc-url']), sdk.oracles(feeds));
    return JSON.stringify(await accountPortfolio(market, args.account, { underlyingNames, assetNames }));
  };
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
    if (path === '/portfolio.json') {
      if (PORTFOLIO) return send(200, 'application/json; charset=utf-8', await readFile(PORTFOLIO));
      try {
        return send(200, 'application/json; charset=utf-8', await accountJson());
      } catch (e) {
        return send(502, 'text/plain; charset=utf-8', `account ${args.account}: ${e.message ?? e}\n`);
      }
    }
    if (path === '/favicon.ico') return send(204, 'text/plain', '');
    return send(404, 'text/plain', `not found: ${path}\n`);
  } catch (e) {
    return send(500, 'text/plain', `${e}\n`);
  }
});

server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  console.log(`dashboard: http://${args.host}:${port}/ (${PORTFOLIO ? `portfolio ${args.portfolio}` : `account ${args.account} at ${args['rpc-url']}`})`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
