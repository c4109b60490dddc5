import type { KeysService } from '../keys/service.js';
import type { ClientRow, MetaStore, SnippetRow, TagRow } from '../store/metaStore.js';
import { DEFAULT_SDK_SETTINGS, type RemoteConfig, type RenderedSnippet, type RenderedTag } from './remoteConfig.js';
import { findTagTemplate, renderTag } from './tagTemplates.js';

/** The global a client's SDK is exposed as when the client has no global_name of its own. */
export const DEFAULT_GLOBAL_NAME = 'mythic';

/**
 * Builds the remote config a loader delivers, from the MetaStore as it is now: every change an
 * operator makes is in the next fetch, so nothing is cached here (callers may cache by ETag).
 */
export class RemoteConfigService {
  constructor(
    private readonly store: MetaStore,
    private readonly keys: KeysService,
  ) {}

  /**
   * The config for the page that embeds `publishableKey`, with the client it belongs to; null when
   * the key is malformed, unknown, a secret key, past its grace period, or its client is inactive.
   * A rotated-out key inside its grace period still loads, so sites keep working while they update
   * their embed code; the config carries the key the page presented, which ingestion accepts
   * until the same moment.
   */
  async forPublishableKey(publishableKey: string): Promise<{ config: RemoteConfig; client: ClientRow } | null> {
    const identity = await this.keys.authenticate(publishableKey);
    if (!identity || identity.kind !== 'publishable' || !identity.client_active) return null;
    const [client, tags, snippets] = await Promise.all([
      this.store.getClient(identity.client_id),
      this.store.listTags(identity.client_id),
      this.store.listSnippets(identity.client_id),
    ]);
    // Hard-deleted between the key lookup and these reads.
    if (!client) return null;
    return {
      client,
      config: {
        v: 1,
        publishable_key: publishableKey,
        global_name: client.global_name ?? DEFAULT_GLOBAL_NAME,
        sdk: { ...DEFAULT_SDK_SETTINGS, ...client.sdk_settings },
        tags: renderTags(tags),
        snippets: renderSnippets(snippets),
      },
    };
  }
}

/**
 * Enabled tags, each id `<template slug>-<position in the stored list>` so that toggling one renames
 * no other. A tag stored under its template's UUID is delivered under the slug: the page sees one
 * name per template whichever way the operator wrote it.
 */
export function renderTags(tags: readonly TagRow[]): RenderedTag[] {
  const rendered: RenderedTag[] = [];
  tags.forEach((tag, position) => {
    if (!tag.enabled) return;
    const code = renderTag(tag.tag_id, tag.params);
    const slug = findTagTemplate(tag.tag_id)?.id;
    if (code === null || slug === undefined) return;
    rendered.push({ id: `${slug}-${position}`, tag_id: slug, rules: tag.trigger_rules, ...code });
  });
  return rendered;
}

export function renderSnippets(snippets: readonly SnippetRow[]): RenderedSnippet[] {
  return snippets.filter((s) => s.enabled).map((s) => ({ id: s.id, rules: s.trigger_rules, code: s.code }));
}
