import type { RemoteConfig, RenderedSnippet, RenderedTag } from '../../src/loader/remoteConfig.js';
import { onNavigate } from './shared/navigation.js';
import { matchesRules } from './shared/rules.js';

function newScript(nonce: string): HTMLScriptElement {
  const script = document.createElement('script');
  // Pages with a nonce-based CSP allow the loader by nonce; what it injects must carry the same one.
  if (nonce) script.nonce = nonce;
  return script;
}

function injectTag(tag: RenderedTag, nonce: string): void {
  const head = document.head || document.documentElement;
  if (tag.inline) {
    const inline = newScript(nonce);
    inline.text = tag.inline;
    inline.setAttribute('data-mythic-tag', tag.id);
    head.appendChild(inline);
  }
  if (tag.src) {
    const external = newScript(nonce);
    external.async = true;
    external.src = tag.src;
    external.setAttribute('data-mythic-tag', tag.id);
    head.appendChild(external);
  }
}

/**
 * Script elements that arrive through innerHTML never run; each is replaced by a fresh element with
 * the same attributes and text, which runs once inserted. async=false keeps external scripts in
 * document order, as the operator wrote them.
 */
function injectSnippet(snippet: RenderedSnippet, nonce: string): void {
  const template = document.createElement('template');
  template.innerHTML = snippet.code;
  const content = template.content;
  const scripts = content.querySelectorAll('script');
  for (let i = 0; i < scripts.length; i += 1) {
    const inert = scripts[i] as HTMLScriptElement;
    const live = newScript(nonce);
    for (let a = 0; a < inert.attributes.length; a += 1) {
      const attribute = inert.attributes[a] as Attr;
      live.setAttribute(attribute.name, attribute.value);
    }
    live.text = inert.text;
    live.async = false;
    inert.parentNode?.replaceChild(live, inert);
  }
  document.body.appendChild(content);
}

/**
 * Injects each tag and snippet whose trigger rules match the current page, at most once per page
 * load, now and after every in-page navigation (a rule on /checkout fires when an SPA gets there).
 */
export function startInjection(config: RemoteConfig, nonce: string): void {
  if (config.tags.length === 0 && config.snippets.length === 0) return;
  const injected: Record<string, true> = {};
  const run = (): void => {
    const { href, pathname } = location;
    for (const tag of config.tags) {
      const key = `t:${tag.id}`;
      if (injected[key] || !matchesRules(tag.rules, href, pathname)) continue;
      injected[key] = true;
      injectTag(tag, nonce);
    }
    for (const snippet of config.snippets) {
      const key = `s:${snippet.id}`;
      if (injected[key] || !matchesRules(snippet.rules, href, pathname)) continue;
      injected[key] = true;
      injectSnippet(snippet, nonce);
    }
  };
  onNavigate(run);
  // Snippets go into <body>; an async loader can run while the parser has not reached it.
  if (document.body) run();
  else document.addEventListener('DOMContentLoaded', run);
}
