/**
 * The remote config: everything the loader script carries for one client. The server builds it
 * from the MetaStore (client settings, enabled tags rendered from their templates, enabled
 * snippets); the browser-side loader (sdk/src/loader.ts) reads the same shape, so this file is the
 * contract between the two and must stay free of Node-only imports.
 */

/** The keys a trigger rule may have. */
export type RuleKind = 'url_contains' | 'url_equals' | 'path_prefix' | 'url_regex' | 'exclude_url_contains';

/**
 * One rule of the list form; a rule object has exactly one of these keys. A page matches a list
 * when no `exclude_url_contains` rule matches and, if there are any inclusion rules, at least one
 * of them does. An empty list matches every page. URLs are compared as `location.href`, except
 * that `path_prefix` is compared with the path alone (`location.pathname`). `url_regex` is compiled
 * without flags and tested against `location.href`. All comparisons are case-sensitive.
 */
export type TriggerRule =
  | { url_contains: string }
  | { url_equals: string }
  | { path_prefix: string }
  | { url_regex: string }
  | { exclude_url_contains: string };

/**
 * The object form, as Mythic Analytics documents rules: `{ "url_contains": "/checkout" }`. Every
 * key must hold (an `exclude_url_contains` key holds when the URL does not contain its text), so
 * `{}` matches every page. Keys are compared as in the list form.
 */
export type TriggerRuleObject = Partial<Record<RuleKind, string>>;

/** A tag's or snippet's rules, in the form the operator sent them: a list (any of) or one object (all of). */
export type TriggerRules = TriggerRule[] | TriggerRuleObject;

/** SDK behaviour the operator can set per client; the page's own init() config overrides it. */
export interface SdkSettings {
  capture_pageview: boolean;
  capture_pageleave: boolean;
  require_consent: boolean;
  respect_dnt: boolean;
  session_timeout_minutes: number;
  batch_size: number;
  flush_interval_ms: number;
}

export const DEFAULT_SDK_SETTINGS: SdkSettings = {
  capture_pageview: true,
  capture_pageleave: true,
  require_consent: false,
  respect_dnt: false,
  session_timeout_minutes: 30,
  batch_size: 10,
  flush_interval_ms: 2000,
};

/** A tag rendered from its template: an external script to load and/or inline code to run. */
export interface RenderedTag {
  /** Stable within the config: `<tag_id>-<position>`. */
  id: string;
  tag_id: string;
  rules: TriggerRules;
  /** Absolute https URL of a script to append (async). */
  src?: string;
  /** JavaScript to run once, before `src` is appended. Built from validated params only. */
  inline?: string;
}

export interface RenderedSnippet {
  id: string;
  rules: TriggerRules;
  /** HTML as the operator wrote it; its <script> elements are executed by the loader. */
  code: string;
}

export interface RemoteConfig {
  v: 1;
  publishable_key: string;
  /** The client's global_name, or `mythic`. */
  global_name: string;
  sdk: SdkSettings;
  tags: RenderedTag[];
  snippets: RenderedSnippet[];
}
