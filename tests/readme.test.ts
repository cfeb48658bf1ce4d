// The README's TypeScript snippets are the files in tests/snippets/ (run on the .so by
// e2e.test.ts): each file must appear verbatim in README.md, so the two never drift apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers/litesvm-chain.ts';
import { connect } from './snippets/connect.ts';
import { SOL_FEED } from './helpers/market.ts';

test('README: every tests/snippets file is in the integrator section, verbatim', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const dir = path.join(ROOT, 'tests/snippets');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 4);
  for (const f of files) {
    const body = fs.readFileSync(path.join(dir, f), 'utf8').trimEnd();
    assert.ok(readme.includes('```ts\n' + body + '\n```'), `README.md lacks tests/snippets/${f} as a ts block: paste it again`);
  }
});

test('README snippet connect.ts builds a JSON-RPC chain and an index (no request sent)', () => {
  const { chain, market } = connect('http://127.0.0.1:8899', [[SOL_FEED, '11111111111111111111111111111112' as any]]);
  assert.equal(chain.url, 'http://127.0.0.1:8899');
  assert.equal(market.oracles.size, 1);
});
