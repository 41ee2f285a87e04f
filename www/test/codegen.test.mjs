// The committed TypeScript types (js/generated/) are what @cosmwasm/ts-codegen
// generates from the current schema (../schema, `cargo schema`): regenerate
// into a temp dir and compare. Then type-check the package's TypeScript
// against them, and CosmJS's CosmWasmClient against the chain client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WWW } from '../scripts/serve.mjs';
import { generate, FILE } from '../scripts/codegen.mjs';

test('generated contract types are current', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vigil-types-'));
  try {
    await generate({ out: tmp });
    const fresh = readFileSync(join(tmp, FILE), 'utf8');
    const committed = readFileSync(join(WWW, 'js/generated', FILE), 'utf8');
    assert.ok(
      fresh === committed,
      `js/generated/${FILE} is stale: the contract's schema changed. Run \`cargo schema\` at the workspace root, then \`npm run codegen\` in www/`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the package type-checks, and CosmJS clients fit the chain client', () => {
  execFileSync(join(WWW, 'node_modules/.bin/tsc'), ['-p', join(WWW, 'test/tsconfig.json')], { cwd: WWW, stdio: 'pipe' });
});
