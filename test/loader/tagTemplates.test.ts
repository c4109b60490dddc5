import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createContext, runInContext } from 'node:vm';
import { findTagTemplate, paramProblems, renderTag, TAG_TEMPLATES, type RenderedCode } from '../../src/loader/tagTemplates.js';

/** A page's globals, enough for the vendor bootstraps: they run as a script element's text would. */
interface FakePage {
  [name: string]: unknown;
  appended: { type?: string; async?: boolean; src?: string }[];
}

function runInPage(code: string): FakePage {
  const appended: FakePage['appended'] = [];
  const element = { appendChild: (el: FakePage['appended'][number]) => appended.push(el) };
  const page: FakePage = { appended };
  page.window = page;
  page.document = { createElement: () => ({}), head: element, documentElement: element };
  const context = createContext(page);
  runInContext(code, context);
  return page;
}

/** What a queue holds (`arguments` objects, arrays), as plain arrays; from another realm, hence JSON. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(Array.from(value as ArrayLike<unknown>, (e) => (typeof e === 'object' && e !== null && 'length' in e ? Array.from(e as ArrayLike<unknown>) : e))));

const render = (tagId: string, params: Record<string, string>): RenderedCode => {
  const code = renderTag(tagId, params);
  assert.ok(code, `${tagId} renders ${JSON.stringify(params)}`);
  return code;
};

describe('tag templates', () => {
  it('offers the documented catalogue with stable ids and one required parameter each', () => {
    assert.deepEqual(
      TAG_TEMPLATES.map((t) => [t.id, t.params.map((p) => p.name)]),
      [
        ['ga4', ['measurement_id']],
        ['gtm', ['container_id']],
        ['meta_pixel', ['pixel_id']],
        ['hotjar', ['site_id']],
        ['linkedin_insight', ['partner_id']],
        ['tiktok_pixel', ['pixel_id']],
        ['custom_script', ['src']],
      ],
    );
    for (const template of TAG_TEMPLATES) {
      for (const p of template.params) {
        assert.ok(p.required && p.label && p.description && p.rule, `${template.id}.${p.name} is described`);
        assert.ok((p.pattern === null) !== (p.format === null), `${template.id}.${p.name} has a pattern or a format`);
        assert.deepEqual(paramProblems(template, { [p.name]: p.example }), [], `${template.id}: the example passes its own rule`);
      }
    }
  });

  it('gives each template a distinct RFC 4122 version-4 UUID by which it is also found, and GA4 the docs’ one', () => {
    const uuids = TAG_TEMPLATES.map((t) => t.uuid);
    assert.equal(new Set(uuids).size, TAG_TEMPLATES.length);
    for (const template of TAG_TEMPLATES) {
      assert.match(template.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, template.id);
      assert.equal(findTagTemplate(template.uuid), template);
      assert.equal(findTagTemplate(template.id), template);
    }
    assert.equal(findTagTemplate('f47ac10b-58cc-4372-a567-0e02b2c3d479')?.id, 'ga4');
    assert.deepEqual(renderTag('f47ac10b-58cc-4372-a567-0e02b2c3d479', { measurement_id: 'G-ABCD1234' }), renderTag('ga4', { measurement_id: 'G-ABCD1234' }));
    for (const ref of ['F47AC10B-58CC-4372-A567-0E02B2C3D479', 'GA4', '', 'constructor', 'toString']) assert.equal(findTagTemplate(ref), undefined, ref);
  });

  it('refuses missing, unknown and malformed parameters, each message naming the tag', () => {
    const ga4 = findTagTemplate('ga4');
    assert.ok(ga4);
    assert.deepEqual(paramProblems(ga4, {}), [{ param: 'measurement_id', message: "is required by tag 'ga4'" }]);
    assert.deepEqual(paramProblems(ga4, { measurement_id: 'G-ABCD1234', colour: 'red' }).map((p) => p.param), ['colour']);
    const bad: [string, string, string][] = [
      ['ga4', 'measurement_id', 'g-abcd1234'],
      ['ga4', 'measurement_id', 'UA-12345-1'],
      ['ga4', 'measurement_id', 'G-ABCD1234"); alert(1); ("'],
      ['gtm', 'container_id', 'GTM-'],
      ['gtm', 'container_id', "GTM-ABCD'+x+'"],
      ['meta_pixel', 'pixel_id', '12ab'],
      ['meta_pixel', 'pixel_id', '1234'],
      ['hotjar', 'site_id', '0123'],
      ['hotjar', 'site_id', '1e9'],
      ['hotjar', 'site_id', '1'.repeat(13)],
      ['linkedin_insight', 'partner_id', '12 34'],
      ['tiktok_pixel', 'pixel_id', 'cabcdefghij12345'],
      ['tiktok_pixel', 'pixel_id', 'SHORT'],
      ['custom_script', 'src', 'http://cdn.example.com/a.js'],
      ['custom_script', 'src', '//cdn.example.com/a.js'],
      ['custom_script', 'src', 'javascript:alert(1)'],
      ['custom_script', 'src', 'https://user:pass@cdn.example.com/a.js'],
      ['custom_script', 'src', 'https:///a.js'],
      ['custom_script', 'src', `https://cdn.example.com/${'a'.repeat(2048)}`],
    ];
    for (const [tagId, name, value] of bad) {
      const template = findTagTemplate(tagId);
      assert.ok(template);
      const problems = paramProblems(template, { [name]: value });
      assert.equal(problems.length, 1, `${tagId}.${name}=${value}`);
      assert.equal(problems[0]?.param, name);
      assert.match(problems[0]?.message ?? '', new RegExp(`tag '${tagId}'`));
      assert.equal(renderTag(tagId, { [name]: value }), null, 'never rendered');
    }
    assert.equal(renderTag('no_such_tag', {}), null);
  });

  it('GA4: defines gtag on the data layer, configures the measurement id, loads gtag.js', () => {
    const code = render('ga4', { measurement_id: 'G-ABCD1234' });
    assert.equal(code.src, 'https://www.googletagmanager.com/gtag/js?id=G-ABCD1234');
    const page = runInPage(code.inline ?? '');
    assert.equal(typeof page.gtag, 'function');
    const layer = plain(page.dataLayer) as unknown[][];
    assert.equal(layer.length, 2);
    assert.equal(layer[0]?.[0], 'js');
    assert.deepEqual(layer[1], ['config', 'G-ABCD1234']);
    // Running a second GA4 tag keeps the first one's queue and function.
    runInContext(render('ga4', { measurement_id: 'G-OTHER999' }).inline ?? '', createContext(page));
    assert.deepEqual((plain(page.dataLayer) as unknown[][])[3], ['config', 'G-OTHER999']);
  });

  it('GTM: pushes gtm.start and loads the container', () => {
    const code = render('gtm', { container_id: 'GTM-AB12CD3' });
    assert.equal(code.src, 'https://www.googletagmanager.com/gtm.js?id=GTM-AB12CD3');
    const page = runInPage(code.inline ?? '');
    const [start] = page.dataLayer as { event: string; 'gtm.start': number }[];
    assert.equal(start?.event, 'gtm.js');
    assert.equal(typeof start?.['gtm.start'], 'number');
  });

  it('Meta Pixel: queues init and PageView for fbevents.js', () => {
    const code = render('meta_pixel', { pixel_id: '123456789012345' });
    assert.equal(code.src, 'https://connect.facebook.net/en_US/fbevents.js');
    const page = runInPage(code.inline ?? '');
    const fbq = page.fbq as { queue: unknown; version: string };
    assert.equal(page._fbq, page.fbq);
    assert.equal(fbq.version, '2.0');
    assert.deepEqual(plain(fbq.queue), [['init', '123456789012345'], ['track', 'PageView']]);
  });

  it('Hotjar: sets the numeric site id and loads the site’s script', () => {
    const code = render('hotjar', { site_id: '1234567' });
    assert.equal(code.src, 'https://static.hotjar.com/c/hotjar-1234567.js?sv=6');
    const page = runInPage(code.inline ?? '');
    assert.deepEqual({ ...(page._hjSettings as object) }, { hjid: 1234567, hjsv: 6 });
    (page.hj as (...args: unknown[]) => void)('event', 'x');
    assert.deepEqual(plain((page.hj as { q: unknown }).q), [['event', 'x']]);
  });

  it('LinkedIn Insight: registers the partner id and a lintrk queue', () => {
    const code = render('linkedin_insight', { partner_id: '7654321' });
    assert.equal(code.src, 'https://snap.licdn.com/li.lms-analytics/insight.min.js');
    const page = runInPage(code.inline ?? '');
    assert.equal(page._linkedin_partner_id, '7654321');
    assert.deepEqual(plain(page._linkedin_data_partner_ids), ['7654321']);
    (page.lintrk as (a: string, b: unknown) => void)('track', { conversion_id: 1 });
    assert.deepEqual(plain((page.lintrk as { q: unknown }).q), [['track', { conversion_id: 1 }]]);
  });

  it('TikTok Pixel: loads events.js for the pixel code and queues a page view', () => {
    const code = render('tiktok_pixel', { pixel_id: 'CABCDEFGHIJ123456789' });
    assert.equal(code.src, undefined, 'the vendor bootstrap appends its own script');
    const page = runInPage(code.inline ?? '');
    assert.equal(page.TiktokAnalyticsObject, 'ttq');
    assert.deepEqual(plain(page.ttq), [['page']]);
    assert.equal(page.appended.length, 1);
    assert.equal(page.appended[0]?.src, 'https://analytics.tiktok.com/i18n/pixel/events.js?sdkid=CABCDEFGHIJ123456789&lib=ttq');
    assert.equal(page.appended[0]?.async, true);
  });

  it('custom script: only the URL, as given', () => {
    assert.deepEqual(render('custom_script', { src: 'https://cdn.example.com/w.js?a=1&b=2' }), { src: 'https://cdn.example.com/w.js?a=1&b=2' });
  });

  it('loads every script over https', () => {
    for (const template of TAG_TEMPLATES) {
      const params = Object.fromEntries(template.params.map((p) => [p.name, p.example]));
      const code = render(template.id, params);
      if (code.src !== undefined) assert.match(code.src, /^https:\/\//, template.id);
      assert.ok(code.src !== undefined || code.inline !== undefined, template.id);
    }
  });
});
