// The committed TypeScript types (js/generated/, one file per contract) are
// what @cosmwasm/ts-codegen generates from the current schema (../schema,
// `cargo schema`): regenerate
// into a temp dir and compare. Then type-check the package's TypeScript
// against them, and CosmJS's CosmWasmClient against the chain client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WWW } from '../scripts/serve.mjs';
import { generate, FILES } from '../scripts/codegen.mjs';

test('generated contract types are current', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-types-'));
  try {
    await generate({ out: tmp });
    for (const file of FILES) {
      const fresh = readFileSync(join(tmp, file), 'utf8');
      const committed = readFileSync(join(WWW, 'js/generated', file), 'utf8');
      assert.ok(
        fresh === committed,
        `js/generated/${file} is stale: the contracts' schema changed. Run \`cargo schema\` at the workspace root, then \`npm run codegen\` in www/`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the package type-checks, and CosmJS clients fit the chain client', () => {
  execFileSync(join(WWW, 'node_modules/.bin/tsc'), ['-p', join(WWW, 'test/tsconfig.json')], { cwd: WWW, stdio: 'pipe' });
});
