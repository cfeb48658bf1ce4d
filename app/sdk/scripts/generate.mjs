#!/usr/bin/env node
// Generates app/sdk/src/generated from the program's committed IDL
// (programs/portfolio-margin/idl/portfolio_margin.json) with Codama:
// `@codama/nodes-from-anchor` reads the Anchor 1.x IDL, `@codama/renderers-js` writes a
// @solana/kit client (instruction builders and codecs, account decoders, the program's error
// codes, defined types). The output is committed; `--check` renders into a temporary folder
// and fails (exit 1) when the committed files differ from it (scripts/test.sh runs it).
//
//   node app/sdk/scripts/generate.mjs           # (re)write src/generated
//   node app/sdk/scripts/generate.mjs --check   # fail if src/generated is stale
import { rootNodeFromAnchor } from '@codama/nodes-from-anchor';
import { renderVisitor } from '@codama/renderers-js';
import { createFromRoot } from 'codama';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const sdk = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const idlPath = path.resolve(sdk, '../../programs/portfolio-margin/idl/portfolio_margin.json');
const check = process.argv.includes('--check');

async function render(pkgDir) {
  const idl = JSON.parse(fs.readFileSync(idlPath, 'utf8'));
  const codama = createFromRoot(rootNodeFromAnchor(idl));
  // Only src/generated is written: the package.json is ours (pinned versions), not the renderer's.
  await codama.accept(
    renderVisitor(pkgDir, {
      generatedFolder: 'src/generated',
      syncPackageJson: false,
      kitImportStrategy: 'rootOnly',
      deleteFolderBeforeRendering: true,
    }),
  );
}

function listFiles(dir, base = dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), base) : [path.relative(base, path.join(dir, e.name))]))
    .sort();
}

if (check) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pm-sdk-gen-'));
  try {
    await render(tmp);
    const want = path.join(tmp, 'src/generated');
    const have = path.join(sdk, 'src/generated');
    const a = listFiles(want);
    const b = listFiles(have);
    const stale = [...new Set([...a, ...b])].filter((f) => {
      const x = path.join(want, f);
      const y = path.join(have, f);
      return !fs.existsSync(x) || !fs.existsSync(y) || !fs.readFileSync(x).equals(fs.readFileSync(y));
    });
    if (stale.length) {
      console.error(`app/sdk/src/generated is stale against the IDL (${stale.length} files differ, e.g. ${stale.slice(0, 5).join(', ')}): run \`npm run generate\``);
      process.exit(1);
    }
    console.log(`app/sdk/src/generated is up to date (${a.length} files)`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
} else {
  await render(sdk);
  console.log(`wrote ${listFiles(path.join(sdk, 'src/generated')).length} files to app/sdk/src/generated`);
}
