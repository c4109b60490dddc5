/**
 * The API's resources, typed from the server's own schemas (type-only imports: nothing of the
 * server reaches the bundle), so the dashboard cannot drift from what the API answers.
 */
import type { AgencyView } from '../../src/agencies/schemas.js';
import type { ApiKeyView, ClientView, RotatedKeysView } from '../../src/clients/schemas.js';
import type { RecentEventView } from '../../src/events/schemas.js';
import type { HostnameView } from '../../src/hostnames/schemas.js';
import type { LoaderEmbedView, TagTemplateViewValue } from '../../src/loader/adminSchemas.js';
import type { WhoamiView } from '../../src/web/whoamiSchemas.js';

export type Client = ClientView;
export type Agency = AgencyView;
export type ApiKey = ApiKeyView;
export type RotatedKeys = RotatedKeysView;
export type TagTemplate = TagTemplateViewValue;
export type Hostname = HostnameView;
export type LoaderEmbed = LoaderEmbedView;
export type Whoami = WhoamiView;
export type RecentEvent = RecentEventView;

export const RULE_KINDS = ['url_contains', 'url_equals', 'path_prefix', 'url_regex', 'exclude_url_contains'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/**
 * Tags, snippets and their rules as the editors hold them while they are being edited: a rule
 * whose kind is being changed or whose value is still empty is not yet one the API accepts, so
 * these are drafts; the API checks them on save and its messages are shown at the fields.
 */
export type TriggerRule = Partial<Record<RuleKind, string>>;
/** A list of one-key rules (any one must match) or one object whose keys must all hold, as the API keeps them. */
export type TriggerRules = TriggerRule[] | TriggerRule;
export interface Tag {
  tag_id: string;
  enabled: boolean;
  params: Record<string, string>;
  trigger_rules: TriggerRules;
}
export interface Snippet {
  id?: string;
  code: string;
  description: string;
  enabled: boolean;
  trigger_rules: TriggerRules;
}
