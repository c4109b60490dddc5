import { Type, type Static } from 'typebox';
import { NullableString, NullableTimestamp } from '../http/common.js';

const TagTemplateParam = Type.Object({
  name: Type.String(),
  label: Type.String(),
  description: Type.String(),
  required: Type.Boolean(),
  pattern: NullableString({ description: 'Regular expression the whole value must match, when the rule is one.' }),
  format: NullableString({ description: '`https-url` for an absolute https URL; null when `pattern` applies.' }),
  max_length: Type.Integer(),
  example: Type.String(),
});

export const TagTemplateView = Type.Object(
  {
    id: Type.String({ description: 'The `tag_id` to use in PUT /clients/{id}/tags.' }),
    uuid: Type.String({
      format: 'uuid',
      description: 'The template’s fixed UUID, which `tag_id` also accepts (Mythic Analytics names templates this way); tags sent with it are answered with it.',
      examples: ['f47ac10b-58cc-4372-a567-0e02b2c3d479'],
    }),
    name: Type.String(),
    description: Type.String(),
    params: Type.Array(TagTemplateParam),
  },
  { title: 'TagTemplate' },
);
export type TagTemplateViewValue = Static<typeof TagTemplateView>;

export const LoaderEmbed = Type.Object(
  {
    html: Type.String({ description: 'The tag to paste into every page, ideally in <head>.' }),
    script_url: Type.String({
      description: 'The loader script of the client’s current publishable key, on MYTHIC_PUBLIC_URL (else the host this request was sent to).',
    }),
    global_name: Type.String({ description: 'The global the SDK is exposed as: the client’s global_name, or `mythic`.' }),
    domain: Type.Union(
      [
        Type.Object({
          hostname: Type.String(),
          verified: Type.Boolean({ description: 'True once an event from a page on the domain (or a subdomain) has been accepted.' }),
          first_event_at: NullableTimestamp,
        }),
        Type.Null(),
      ],
      { description: 'The install check of the client’s domain, as hostnames report theirs; null without a domain.' },
    ),
  },
  { title: 'LoaderEmbed' },
);
export type LoaderEmbedView = Static<typeof LoaderEmbed>;
