/**
 * The built-in catalogue of third-party tags. A template declares its parameters and renders
 * validated values into what the loader injects: a script URL to append and/or inline bootstrap
 * code (the vendor's standard snippet, minus the part that appends the script, which the loader
 * does). Values reach code only after they passed the parameter's rule, and only as JSON literals,
 * so no operator input is ever spliced into JavaScript as code.
 */

export interface TagParamSpec {
  name: string;
  label: string;
  description: string;
  required: boolean;
  /** Anchored regular expression the value must match; null when `format` applies instead. */
  pattern: string | null;
  format: 'https-url' | null;
  maxLength: number;
  example: string;
  /** The accepted form in words, for error messages. */
  rule: string;
}

export interface RenderedCode {
  src?: string;
  inline?: string;
}

export interface TagTemplate {
  id: string;
  /**
   * A second, fixed id, for integrations written against Mythic Analytics, whose API names
   * templates by UUID. Literal constants: never generate or change one, stored tags refer to it.
   */
  uuid: string;
  name: string;
  description: string;
  params: TagParamSpec[];
  /** Only ever called with values that passed `paramProblems`. */
  render(params: Readonly<Record<string, string>>): RenderedCode;
}

export interface ParamProblem {
  param: string;
  message: string;
}

/**
 * A JavaScript string or number literal. JSON is valid JavaScript; `<`, `>` and `&` are escaped as
 * well, so that the code stays inert even if someone embeds it in HTML, as are the two line
 * separators that older engines refuse inside string literals.
 */
function literal(value: string | number): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const lines = (...code: string[]): string => code.join('\n');

function idParam(name: string, label: string, description: string, pattern: string, rule: string, example: string): TagParamSpec {
  return { name, label, description, required: true, pattern, format: null, maxLength: 64, example, rule };
}

const param = (params: Readonly<Record<string, string>>, name: string): string => params[name] as string;

const GA4: TagTemplate = {
  id: 'ga4',
  // The placeholder of the Mythic Analytics docs' GA4 example, so that example works verbatim.
  uuid: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  name: 'Google Analytics 4',
  description: 'Loads gtag.js and configures one GA4 measurement id (sends a page view).',
  params: [
    idParam('measurement_id', 'Measurement ID', 'The data stream’s measurement id, in Admin › Data streams.', '^G-[A-Z0-9]{4,20}$', 'a GA4 measurement id such as G-XXXXXXXXXX (G- and 4–20 capital letters or digits)', 'G-XXXXXXXXXX'),
  ],
  render: (params) => {
    const id = param(params, 'measurement_id');
    return {
      src: `https://www.googletagmanager.com/gtag/js?id=${encodeURIComponent(id)}`,
      // gtag.js only reads `arguments` objects from the data layer, hence the function rather than an array push.
      inline: lines(
        'window.dataLayer = window.dataLayer || [];',
        'window.gtag = window.gtag || function gtag() { window.dataLayer.push(arguments); };',
        "window.gtag('js', new Date());",
        `window.gtag('config', ${literal(id)});`,
      ),
    };
  },
};

const GTM: TagTemplate = {
  id: 'gtm',
  uuid: 'f53c5d7b-510d-4631-b704-79d7259b4393',
  name: 'Google Tag Manager',
  description: 'Loads one Google Tag Manager web container.',
  params: [
    idParam('container_id', 'Container ID', 'The web container’s id, shown next to its name in Tag Manager.', '^GTM-[A-Z0-9]{4,12}$', 'a container id such as GTM-XXXXXXX (GTM- and 4–12 capital letters or digits)', 'GTM-XXXXXXX'),
  ],
  render: (params) => ({
    src: `https://www.googletagmanager.com/gtm.js?id=${encodeURIComponent(param(params, 'container_id'))}`,
    inline: lines(
      'window.dataLayer = window.dataLayer || [];',
      "window.dataLayer.push({ 'gtm.start': new Date().getTime(), event: 'gtm.js' });",
    ),
  }),
};

const META_PIXEL: TagTemplate = {
  id: 'meta_pixel',
  uuid: 'ce0c0dea-2260-42dd-bb85-e64ad7e9de20',
  name: 'Meta Pixel',
  description: 'Loads the Meta (Facebook) Pixel, initialises one pixel and tracks a PageView.',
  params: [idParam('pixel_id', 'Pixel ID', 'The pixel’s numeric id, in Events Manager › Data sources.', '^[0-9]{5,20}$', 'a numeric pixel id of 5–20 digits', '123456789012345')],
  render: (params) => ({
    src: 'https://connect.facebook.net/en_US/fbevents.js',
    // The queueing stub fbevents.js expects to find, as the vendor snippet defines it.
    inline: lines(
      '(function (f) {',
      '  if (f.fbq) return;',
      '  var n = f.fbq = function () { n.callMethod ? n.callMethod.apply(n, arguments) : n.queue.push(arguments); };',
      '  if (!f._fbq) f._fbq = n;',
      "  n.push = n; n.loaded = true; n.version = '2.0'; n.queue = [];",
      '})(window);',
      `window.fbq('init', ${literal(param(params, 'pixel_id'))});`,
      "window.fbq('track', 'PageView');",
    ),
  }),
};

const HOTJAR_SNIPPET_VERSION = 6;

const HOTJAR: TagTemplate = {
  id: 'hotjar',
  uuid: '2d8c69c4-f237-490c-9d0d-fbac31063c24',
  name: 'Hotjar',
  description: 'Loads Hotjar tracking for one site.',
  params: [idParam('site_id', 'Site ID', 'The Hotjar site id, in Sites & Organizations.', '^[1-9][0-9]{0,11}$', 'a numeric site id of at most 12 digits, without leading zeros', '1234567')],
  render: (params) => {
    // At most 12 digits: exactly representable, so the number is the id the vendor snippet writes.
    const siteId = Number(param(params, 'site_id'));
    return {
      src: `https://static.hotjar.com/c/hotjar-${siteId}.js?sv=${HOTJAR_SNIPPET_VERSION}`,
      inline: lines(
        'window.hj = window.hj || function () { (window.hj.q = window.hj.q || []).push(arguments); };',
        `window._hjSettings = { hjid: ${literal(siteId)}, hjsv: ${HOTJAR_SNIPPET_VERSION} };`,
      ),
    };
  },
};

const LINKEDIN_INSIGHT: TagTemplate = {
  id: 'linkedin_insight',
  uuid: '1f95656d-99ec-4661-b19a-942ad79742ec',
  name: 'LinkedIn Insight Tag',
  description: 'Loads the LinkedIn Insight Tag for one partner id.',
  params: [idParam('partner_id', 'Partner ID', 'The Insight Tag partner id, in Campaign Manager › Analyze › Insight Tag.', '^[1-9][0-9]{0,11}$', 'a numeric partner id of at most 12 digits, without leading zeros', '1234567')],
  render: (params) => {
    const id = literal(param(params, 'partner_id'));
    return {
      src: 'https://snap.licdn.com/li.lms-analytics/insight.min.js',
      inline: lines(
        `window._linkedin_partner_id = ${id};`,
        'window._linkedin_data_partner_ids = window._linkedin_data_partner_ids || [];',
        `window._linkedin_data_partner_ids.push(${id});`,
        'if (!window.lintrk) {',
        '  window.lintrk = function (a, b) { window.lintrk.q.push([a, b]); };',
        '  window.lintrk.q = [];',
        '}',
      ),
    };
  },
};

const TIKTOK_PIXEL: TagTemplate = {
  id: 'tiktok_pixel',
  uuid: '431efe6f-5a6f-44d7-ba8b-8c5fb7d559be',
  name: 'TikTok Pixel',
  description: 'Loads the TikTok Pixel for one pixel code and tracks a page view.',
  params: [idParam('pixel_id', 'Pixel code', 'The pixel code, in Events Manager (capital letters and digits).', '^[A-Z0-9]{10,30}$', 'a pixel code of 10–30 capital letters or digits', 'CABCDEFGHIJ123456789')],
  // The vendor snippet appends the script from ttq.load, which the page may call again for other
  // pixels, so it is kept whole here rather than split into stub and src.
  render: (params) => ({
    inline: lines(
      '(function (w, d, t) {',
      '  w.TiktokAnalyticsObject = t;',
      '  var ttq = w[t] = w[t] || [];',
      "  ttq.methods = ['page', 'track', 'identify', 'instances', 'debug', 'on', 'off', 'once', 'ready', 'alias', 'group', 'enableCookie', 'disableCookie', 'holdConsent', 'revokeConsent', 'grantConsent'];",
      '  ttq.setAndDefer = function (target, method) {',
      '    target[method] = function () { target.push([method].concat(Array.prototype.slice.call(arguments, 0))); };',
      '  };',
      '  for (var i = 0; i < ttq.methods.length; i++) ttq.setAndDefer(ttq, ttq.methods[i]);',
      '  ttq.instance = function (id) {',
      '    for (var e = ttq._i[id] || [], n = 0; n < ttq.methods.length; n++) ttq.setAndDefer(e, ttq.methods[n]);',
      '    return e;',
      '  };',
      '  ttq.load = function (id, options) {',
      "    var url = 'https://analytics.tiktok.com/i18n/pixel/events.js';",
      '    ttq._i = ttq._i || {}; ttq._i[id] = []; ttq._i[id]._u = url;',
      '    ttq._t = ttq._t || {}; ttq._t[id] = +new Date();',
      '    ttq._o = ttq._o || {}; ttq._o[id] = options || {};',
      "    var s = d.createElement('script');",
      "    s.type = 'text/javascript'; s.async = true;",
      "    s.src = url + '?sdkid=' + encodeURIComponent(id) + '&lib=' + t;",
      '    (d.head || d.documentElement).appendChild(s);',
      '  };',
      `  ttq.load(${literal(param(params, 'pixel_id'))});`,
      '  ttq.page();',
      "})(window, document, 'ttq');",
    ),
  }),
};

const CUSTOM_SCRIPT: TagTemplate = {
  id: 'custom_script',
  uuid: '9deb373f-6591-4d8c-b8c9-83d0ffb0d1c7',
  name: 'Custom script',
  description: 'Loads one external script by URL (async). For inline code, use a snippet.',
  params: [
    {
      name: 'src',
      label: 'Script URL',
      description: 'Absolute https URL of the script.',
      required: true,
      pattern: null,
      format: 'https-url',
      maxLength: 2048,
      example: 'https://cdn.example.com/widget.js',
      rule: 'an absolute https:// URL with a host and no user name or password, at most 2048 characters',
    },
  ],
  render: (params) => ({ src: param(params, 'src') }),
};

export const TAG_TEMPLATES: readonly TagTemplate[] = [GA4, GTM, META_PIXEL, HOTJAR, LINKEDIN_INSIGHT, TIKTOK_PIXEL, CUSTOM_SCRIPT];

export const TAG_TEMPLATE_IDS = TAG_TEMPLATES.map((t) => t.id);

/** Every accepted `tag_id`: each template's slug, then each one's UUID. */
export const TAG_TEMPLATE_REFS = [...TAG_TEMPLATE_IDS, ...TAG_TEMPLATES.map((t) => t.uuid)];

const BY_REF = new Map(TAG_TEMPLATES.flatMap((t) => [[t.id, t] as const, [t.uuid, t] as const]));

/** The template a `tag_id` names, by its slug or its UUID (exactly as the catalogue spells them). */
export function findTagTemplate(ref: string): TagTemplate | undefined {
  return BY_REF.get(ref);
}

function isHttpsUrl(value: string): boolean {
  // The host must follow the two slashes: URL parsing would read `https:///x.js` as host `x.js`.
  if (!/^https:\/\/[^/?#\\\s]/i.test(value)) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname !== '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

function valueFits(spec: TagParamSpec, value: string): boolean {
  if (value.length > spec.maxLength) return false;
  if (spec.format === 'https-url') return isHttpsUrl(value);
  return spec.pattern !== null && new RegExp(spec.pattern).test(value);
}

/** Every way `params` breaks the template's declared parameters, each naming the tag. */
export function paramProblems(template: TagTemplate, params: Readonly<Record<string, unknown>>): ParamProblem[] {
  const problems: ParamProblem[] = [];
  const known = new Set(template.params.map((p) => p.name));
  for (const name of Object.keys(params)) {
    if (!known.has(name)) {
      problems.push({ param: name, message: `is not a parameter of tag '${template.id}' (it takes: ${[...known].join(', ')})` });
    }
  }
  for (const spec of template.params) {
    const value = params[spec.name];
    if (value === undefined) {
      if (spec.required) problems.push({ param: spec.name, message: `is required by tag '${template.id}'` });
    } else if (typeof value !== 'string' || !valueFits(spec, value)) {
      problems.push({ param: spec.name, message: `must be ${spec.rule}, for tag '${template.id}'` });
    }
  }
  return problems;
}

/** The code of a tag, or null when its template is unknown or its params no longer pass (never rendered unchecked). */
export function renderTag(tagId: string, params: Readonly<Record<string, unknown>>): RenderedCode | null {
  const template = findTagTemplate(tagId);
  if (!template || paramProblems(template, params).length > 0) return null;
  return template.render(params as Record<string, string>);
}
