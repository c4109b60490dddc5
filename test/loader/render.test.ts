import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_SDK_SETTINGS, type RemoteConfig } from '../../src/loader/remoteConfig.js';
import { NOOP_LOADER, renderLoader, scriptSafeJson } from '../../src/loader/renderLoader.js';
import { etagMatches } from '../../src/loader/routes.js';
import { loadSdkAssets, SdkAssetsMissing } from '../../src/loader/sdkAssets.js';

const config = (code: string): RemoteConfig => ({
  v: 1,
  publishable_key: `pk_${'a'.repeat(32)}`,
  global_name: 'acmeRetail',
  sdk: DEFAULT_SDK_SETTINGS,
  tags: [],
  snippets: [{ id: 'snp_1', rules: [], code }],
});

describe('loader rendering', () => {
  it('embeds JSON that cannot close a script element or break a string literal', () => {
    const json = scriptSafeJson({ code: '</script><!-- \u2028\u2029 "x"' });
    assert.doesNotMatch(json, /</);
    assert.doesNotMatch(json, /[\u2028\u2029]/);
    assert.deepEqual(JSON.parse(json), { code: '</script><!-- \u2028\u2029 "x"' });
  });

  it('renders a script that compiles and carries the config and the core path', () => {
    const assets = loadSdkAssets();
    const code = '<script>alert("</script>")</script>\u2028';
    const body = renderLoader(config(code), assets);
    assert.doesNotThrow(() => new Function(body));
    assert.ok(body.includes(assets.loaderRuntime));
    assert.match(assets.corePath, /^\/sdk\/v1\/core\.js\?v=[\w-]{22}$/);
    const embedded = /var MYTHIC_CONFIG=(.*?);var MYTHIC_CORE=(".*?");/.exec(body);
    assert.ok(embedded, 'both variables are declared');
    assert.deepEqual(JSON.parse(embedded[1] as string), config(code));
    assert.equal(JSON.parse(embedded[2] as string), assets.corePath);
  });

  it('has a no-op script for keys that resolve to nothing', () => {
    assert.doesNotThrow(() => new Function(NOOP_LOADER));
    assert.doesNotMatch(NOOP_LOADER, /pk_|MYTHIC_CONFIG/);
  });

  it('fails to start with the command to run when the bundles were never built', () => {
    const empty = mkdtempSync(join(tmpdir(), 'mythic-nosdk-'));
    try {
      assert.throws(() => loadSdkAssets(empty), (error: unknown) => error instanceof SdkAssetsMissing && /run npm run build:sdk/.test(error.message));
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('compares If-None-Match lists, weak tags and * as RFC 9110 says', () => {
    assert.equal(etagMatches(undefined, '"a"'), false);
    assert.equal(etagMatches('"a"', '"a"'), true);
    assert.equal(etagMatches('"b", "a"', '"a"'), true);
    assert.equal(etagMatches('W/"a"', '"a"'), true);
    assert.equal(etagMatches('*', '"a"'), true);
    assert.equal(etagMatches('"ab"', '"a"'), false);
  });
});
