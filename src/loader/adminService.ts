import { requireClient } from '../clients/requireClient.js';
import { firstEventTimes } from '../hostnames/service.js';
import { ApiError } from '../http/apiError.js';
import { toIso } from '../http/common.js';
import type { MetaStore } from '../store/metaStore.js';
import { DEFAULT_GLOBAL_NAME } from './remoteConfigService.js';
import type { LoaderEmbedView, TagTemplateViewValue } from './adminSchemas.js';
import { TAG_TEMPLATES } from './tagTemplates.js';
import { escapeHtml } from '../shared/html.js';


/** The path of a client's loader script under the server's origin. */
export const loaderScriptPath = (publishableKey: string): string => `/s/${publishableKey}.js`;

const CATALOGUE: TagTemplateViewValue[] = TAG_TEMPLATES.map((t) => ({
  id: t.id,
  uuid: t.uuid,
  name: t.name,
  description: t.description,
  params: t.params.map((p) => ({
    name: p.name,
    label: p.label,
    description: p.description,
    required: p.required,
    pattern: p.pattern,
    format: p.format,
    max_length: p.maxLength,
    example: p.example,
  })),
}));

/** What an operator needs to install a client's loader: the catalogue of tags and the embed code. */
export class LoaderAdminService {
  constructor(private readonly store: MetaStore) {}

  tagTemplates(): TagTemplateViewValue[] {
    return CATALOGUE;
  }

  /** `origin` is where browsers reach this server, e.g. https://analytics.example.com. */
  async embed(clientId: string, origin: string): Promise<LoaderEmbedView> {
    const client = await requireClient(this.store, clientId);
    if (client.publishable_key === null) {
      throw new ApiError(409, 'conflict', `Client '${clientId}' has no current publishable key; rotate its keys to issue one`, [
        { field: 'publishable_key', message: 'has no current value' },
      ]);
    }
    const scriptUrl = `${origin}${loaderScriptPath(client.publishable_key)}`;
    const firstEventAt = client.domain === null ? undefined : (await firstEventTimes(this.store, clientId)).get(client.domain);
    return {
      html: `<script async src="${escapeHtml(scriptUrl)}"></script>`,
      script_url: scriptUrl,
      global_name: client.global_name ?? DEFAULT_GLOBAL_NAME,
      domain:
        client.domain === null
          ? null
          : { hostname: client.domain, verified: firstEventAt !== undefined, first_event_at: firstEventAt === undefined ? null : toIso(firstEventAt) },
    };
  }
}
